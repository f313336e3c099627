// The dead-man's switch. Each instance is launched with instance-initiated shutdown = terminate and
// this user-data, which schedules `shutdown -h` for the stack's expires-at and re-arms itself on
// every boot (cloud-init per-boot script): a runner that dies cannot leave instances running.
// Holds no secret: only the stack id and a timestamp.

import { shellQuote } from '../core/shell-quote';

export function deadMansSwitch(stackId: string, expiresAt: string): string {
  const expiry = new Date(expiresAt);
  if (Number.isNaN(expiry.getTime())) throw new Error(`expires-at '${expiresAt}' is not a timestamp`);
  const epoch = Math.floor(expiry.getTime() / 1000);
  const arm = `#!/bin/sh
# openstack-on-aws stack ${stackId}: power off (= terminate) at ${expiry.toISOString()}
now=$(date +%s)
left=$(( (${epoch} - now + 59) / 60 ))
if [ "$left" -lt 1 ]; then left=1; fi
shutdown -h +"$left" ${shellQuote(`openstack-on-aws: stack ${stackId} reached its lifetime`)} >/dev/null 2>&1 || true
`;
  return `#!/bin/sh
# openstack-on-aws dead-man's switch: only a stack id and a time, nothing confidential
mkdir -p /var/lib/cloud/scripts/per-boot
cat > /var/lib/cloud/scripts/per-boot/openstack-on-aws-expiry.sh <<'ARM'
${arm}ARM
chmod 0755 /var/lib/cloud/scripts/per-boot/openstack-on-aws-expiry.sh
/var/lib/cloud/scripts/per-boot/openstack-on-aws-expiry.sh
`;
}

export function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
