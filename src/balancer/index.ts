import type { Config } from '../config/schema.ts';
import { LeastSessions } from './least-sessions.ts';
import type { Policy } from './policy.ts';
import { RandomTwo } from './random-two.ts';
import { RoundRobin } from './round-robin.ts';
import { SourceIp } from './source-ip.ts';

export type { Candidate, PickContext, Policy } from './policy.ts';

export function createPolicy(name: Config['balancer']['policy']): Policy {
  switch (name) {
    case 'least-sessions':
      return new LeastSessions();
    case 'round-robin':
      return new RoundRobin();
    case 'random-two':
      return new RandomTwo();
    case 'source-ip':
      return new SourceIp();
  }
}
