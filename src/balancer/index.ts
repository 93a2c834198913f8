import type { Config } from '../config/schema.ts';
import { LeastLoad } from './least-load.ts';
import type { Policy } from './policy.ts';
import { RandomTwo } from './random-two.ts';
import { RoundRobin } from './round-robin.ts';
import { SourceIp } from './source-ip.ts';

export type { Candidate, PickContext, Policy } from './policy.ts';

export type PolicyName = Config['balancer']['policy'] | 'least-connections';

export function createPolicy(name: PolicyName): Policy {
  switch (name) {
    case 'least-sessions':
    case 'least-connections':
      return new LeastLoad(name);
    case 'round-robin':
      return new RoundRobin();
    case 'random-two':
      return new RandomTwo();
    case 'source-ip':
      return new SourceIp();
  }
}
