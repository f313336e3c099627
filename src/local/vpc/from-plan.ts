// The Plan's subnets and route tables as a VpcSpec (the local provider and the tests build the
// same VPC the AWS provider would).

import { nodeByName } from '../../plan/plan';
import type { Plan } from '../../plan/types';
import type { VpcSpec } from './types';

export function vpcSpecFromPlan(plan: Plan, id: string, hostLink = false): VpcSpec {
  return {
    id,
    hostLink,
    subnets: plan.subnets.map((s) => {
      const route = s.defaultRoute;
      if (route.target === 'internet-gateway')
        return { name: s.name, cidr: s.cidr, gateway: s.gateway, defaultRoute: 'igw' as const };
      const nic = nodeByName(plan, route.node).nics.find((n) => n.name === route.nic);
      if (!nic) throw new Error(`subnet ${s.name}: route target ${route.node} ${route.nic} is not in the plan`);
      return { name: s.name, cidr: s.cidr, gateway: s.gateway, defaultRoute: { viaIp: nic.ip } };
    }),
  };
}
