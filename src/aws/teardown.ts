// Deletes what discover() found, in AWS's dependency order, each level in parallel:
//
//   instances ──terminate, wait──► network interfaces ──► subnets, security groups ──┐
//   addresses ──disassociate, release──► internet gateways ──detach, delete────────────┼──► VPC
//   route tables ──disassociate, delete────────────────────────────────────────────────┘
//   key pairs
//
// NotFound means already gone (teardown is idempotent). DependencyViolation and throttling are
// retried with a bounded back-off. A step whose prerequisites failed is not attempted (it could only
// fail after the same waits); everything not deleted is reported as a leftover by id.

import {
  DeleteInternetGatewayCommand,
  DeleteKeyPairCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DetachInternetGatewayCommand,
  DisassociateAddressCommand,
  DisassociateRouteTableCommand,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { errorMessage } from '../core/errors';
import type { Io } from '../core/io';
import type { ResourceRecord } from '../provider';
import type { Ec2 } from './client';
import { errorCode, isDependencyViolation, isNotFound } from './errors';
import { Found, Kind, KindName } from './kinds';
import { waitForTermination, WaitOptions } from './wait';

interface TeardownResult {
  deleted: ResourceRecord[];
  leftovers: ResourceRecord[];
}

/** Bounded so the full topology fits GitHub's 5-minute cancel window even when AWS is slow. */
const DELETE_ATTEMPTS = 7;

export async function deleteFound(
  ec2: Ec2,
  f: Found,
  io: Pick<Io, 'info' | 'warning'>,
  wait: WaitOptions,
): Promise<TeardownResult> {
  const result: TeardownResult = { deleted: [], leftovers: [] };
  const gone = (kind: KindName, id: string) => result.deleted.push({ kind, id });
  const left = (kind: KindName, id: string, why: string) => {
    result.leftovers.push({ kind, id });
    io.warning(`could not delete ${kind} ${id}: ${why}`);
  };

  /** One delete call; true when the resource is gone (deleted now or before). */
  const remove = async (
    kind: KindName,
    id: string,
    operation: string,
    send: Parameters<Ec2['call']>[1],
  ): Promise<boolean> => {
    try {
      await ec2.call(operation, send, { retryAlso: isDependencyViolation, attempts: DELETE_ATTEMPTS });
      gone(kind, id);
      return true;
    } catch (err) {
      if (isNotFound(err)) {
        gone(kind, id);
        return true;
      }
      left(kind, id, errorMessage(err));
      return false;
    }
  };
  /** A step that must not run because what it depends on is still there. */
  const skip = (kind: KindName, ids: string[], why: string) => {
    for (const id of ids) left(kind, id, `not attempted: ${why}`);
    return false;
  };
  const every = async (items: Array<Promise<boolean>>) => (await Promise.all(items)).every(Boolean);

  const instancesGone = (async () => {
    if (f.instances.length === 0) return true;
    try {
      await terminate(ec2, f.instances);
      await waitForTermination(ec2, f.instances, wait);
      for (const id of f.instances) gone(Kind.Instance, id);
      return true;
    } catch (err) {
      for (const id of f.instances) left(Kind.Instance, id, errorMessage(err));
      return false;
    }
  })();

  const addressesGone = every(
    f.addresses.map(async (a) => {
      if (a.associationId) {
        try {
          await ec2.call(
            'DisassociateAddress',
            (c) => c.send(new DisassociateAddressCommand({ AssociationId: a.associationId })),
            {
              attempts: DELETE_ATTEMPTS,
            },
          );
        } catch (err) {
          // Gone with its network interface, or already disassociated: release decides.
          if (!isNotFound(err) && errorCode(err) !== 'InvalidAssociationID.NotFound')
            io.info(`disassociating ${a.allocationId}: ${errorMessage(err)}`);
        }
      }
      return remove(Kind.ElasticIp, a.allocationId, 'ReleaseAddress', (c) =>
        c.send(new ReleaseAddressCommand({ AllocationId: a.allocationId })),
      );
    }),
  );

  const routeTablesGone = every(
    f.routeTables.map(async (t) => {
      await Promise.all(
        t.associationIds.map((id) =>
          ec2
            .call('DisassociateRouteTable', (c) => c.send(new DisassociateRouteTableCommand({ AssociationId: id })), {
              attempts: DELETE_ATTEMPTS,
            })
            .catch((err) => {
              if (!isNotFound(err)) io.info(`disassociating route table ${t.id}: ${errorMessage(err)}`);
            }),
        ),
      );
      return remove(Kind.RouteTable, t.id, 'DeleteRouteTable', (c) =>
        c.send(new DeleteRouteTableCommand({ RouteTableId: t.id })),
      );
    }),
  );

  const keyPairsGone = every(
    f.keyPairs.map((id) =>
      remove(Kind.KeyPair, id, 'DeleteKeyPair', (c) => c.send(new DeleteKeyPairCommand({ KeyPairId: id }))),
    ),
  );

  // A gateway cannot be detached while the VPC still has public addresses mapped.
  const gatewaysGone = addressesGone.then(async (ok) => {
    if (!ok)
      return skip(
        Kind.InternetGateway,
        f.internetGateways.map((g) => g.id),
        'elastic IPs are still mapped',
      );
    return every(
      f.internetGateways.map(async (g) => {
        for (const vpcId of g.vpcIds) {
          try {
            await ec2.call(
              'DetachInternetGateway',
              (c) => c.send(new DetachInternetGatewayCommand({ InternetGatewayId: g.id, VpcId: vpcId })),
              {
                retryAlso: isDependencyViolation,
                attempts: DELETE_ATTEMPTS,
              },
            );
          } catch (err) {
            if (!isNotFound(err) && errorCode(err) !== 'Gateway.NotAttached') {
              left(Kind.InternetGateway, g.id, errorMessage(err));
              return false;
            }
          }
        }
        return remove(Kind.InternetGateway, g.id, 'DeleteInternetGateway', (c) =>
          c.send(new DeleteInternetGatewayCommand({ InternetGatewayId: g.id })),
        );
      }),
    );
  });

  // Interfaces with DeleteOnTermination went with their instances (NotFound); the rest go now.
  const interfacesGone = instancesGone.then((ok) =>
    ok
      ? every(
          f.networkInterfaces.map((id) =>
            remove(Kind.NetworkInterface, id, 'DeleteNetworkInterface', (c) =>
              c.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id })),
            ),
          ),
        )
      : skip(Kind.NetworkInterface, f.networkInterfaces, 'instances are still there'),
  );

  const subnetsGone = interfacesGone.then((ok) =>
    ok
      ? every(
          f.subnets.map((id) =>
            remove(Kind.Subnet, id, 'DeleteSubnet', (c) => c.send(new DeleteSubnetCommand({ SubnetId: id }))),
          ),
        )
      : skip(Kind.Subnet, f.subnets, 'network interfaces are still there'),
  );
  const groupsGone = interfacesGone.then((ok) =>
    ok
      ? every(
          f.securityGroups.map((id) =>
            remove(Kind.SecurityGroup, id, 'DeleteSecurityGroup', (c) =>
              c.send(new DeleteSecurityGroupCommand({ GroupId: id })),
            ),
          ),
        )
      : skip(Kind.SecurityGroup, f.securityGroups, 'network interfaces are still there'),
  );

  const vpcsGone = Promise.all([subnetsGone, groupsGone, gatewaysGone, routeTablesGone]).then((oks) =>
    oks.every(Boolean)
      ? every(f.vpcs.map((id) => remove(Kind.Vpc, id, 'DeleteVpc', (c) => c.send(new DeleteVpcCommand({ VpcId: id })))))
      : skip(Kind.Vpc, f.vpcs, 'something inside it is still there'),
  );

  await Promise.all([vpcsGone, keyPairsGone]);
  return result;
}

async function terminate(ec2: Ec2, ids: string[]): Promise<void> {
  const send = (batch: string[]) =>
    ec2.call('TerminateInstances', (c) => c.send(new TerminateInstancesCommand({ InstanceIds: batch })), {
      attempts: DELETE_ATTEMPTS,
    });
  try {
    await send(ids);
  } catch (err) {
    // One unknown id fails the whole call; then each is asked for on its own.
    if (!isNotFound(err) || ids.length === 1) {
      if (isNotFound(err)) return;
      throw err;
    }
    await Promise.all(ids.map((id) => send([id]).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)))));
  }
}
