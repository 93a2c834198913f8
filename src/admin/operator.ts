// An operator's drain / enable / disable, as the admin API applies it (one process, or the primary
// with workers): the override goes into the process-lifetime registry and one audit line is logged.
import type { Logger } from '../log.ts';
import type { CoordinatorSet } from '../upstream/coordinator-set.ts';
import type { CoordinatorRegistry } from '../upstream/registry.ts';
import { operatorActions, type OperatorAction, type OperatorChange } from './server.ts';

/** undefined: no coordinator by that 1-based number or name. */
export function applyOperatorAction(coordinators: CoordinatorSet, registry: CoordinatorRegistry, key: string, action: OperatorAction, who: string, logger: Logger): OperatorChange | undefined {
  const coordinator = coordinators.byIndexOrName(key);
  if (coordinator === undefined) return undefined;
  const before = coordinator.operatorState;
  const after = operatorActions[action];
  registry.setOperatorOverride(coordinator.name, { state: after, configState: coordinator.config.state, atMs: Date.now() });
  logger.info({ event: 'admin', who, action, coordinator: coordinator.name, before, after }, `admin: ${action} ${coordinator.name} (${before} → ${after}) by ${who}`);
  return { coordinator: coordinator.name, before, after };
}
