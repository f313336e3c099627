// nft scripts of the emulated VPC, rendered from its state (pure; values are validated before).
// Each script replaces its table in one transaction (`table x {}; delete table x; table x {…}`),
// so a rule change never leaves a port open or closed halfway.

interface SwitchPortRules {
  port: string;
  mac: string;
  ips: string[];
  sourceDestCheck: boolean;
}

const replaceTable = (family: string, name: string, body: string[]): string =>
  [`table ${family} ${name} {}`, `delete table ${family} ${name}`, `table ${family} ${name} {`, ...body, '}', ''].join(
    '\n',
  );

const ipSet = (ips: string[]) => `{ ${ips.join(', ')} }`;

/**
 * The switch namespace's bridge-family rules: AWS's anti-spoofing per ENI port. The router's ports
 * are not listed (the VPC router is trusted), so they only see the `to_` side of the ENI chains.
 */
export function switchRules(ports: SwitchPortRules[]): string {
  const body: string[] = ['  chain forward {', '    type filter hook forward priority 0; policy accept;'];
  for (const p of ports) {
    body.push(`    iifname "${p.port}" jump from_${p.port}`, `    oifname "${p.port}" jump to_${p.port}`);
  }
  body.push('  }');
  for (const p of ports) {
    body.push(`  chain from_${p.port} {`);
    // The MAC is bound even with source/dest check off: AWS never forwards a frame whose source MAC
    // is not the ENI's (this is why Neutron's router gateway needs eth1's original MAC).
    body.push(`    ether saddr != ${p.mac} counter drop`);
    body.push(`    ether type arp arp saddr ether != ${p.mac} counter drop`);
    if (p.sourceDestCheck) {
      body.push(`    ether type arp arp saddr ip != ${ipSet(p.ips)} counter drop`);
      body.push(`    ether type ip ip saddr != ${ipSet(p.ips)} counter drop`);
    }
    body.push('    ether type != { ip, arp } counter drop', '  }');
    body.push(`  chain to_${p.port} {`);
    if (p.sourceDestCheck) {
      // Only unicast frames carry a destination the ENI must own; broadcasts (ARP requests) pass.
      body.push(
        `    ether daddr & 01:00:00:00:00:00 == 00:00:00:00:00:00 ether type ip ip daddr != ${ipSet(p.ips)} counter drop`,
      );
    }
    body.push('  }');
  }
  return replaceTable('bridge', 'ooa_vpc', body);
}

/**
 * The router namespace's ARP filter: it hears (and so answers) ARP only from registered (IP, MAC)
 * pairs, like AWS's router that knows every ENI. The IGW transit link is not an ENI.
 */
export function routerArpRules(pairs: Array<{ ip: string; mac: string }>, transitIfname: string): string {
  const body = ['  set registered {', '    type ipv4_addr . ether_addr'];
  if (pairs.length) body.push(`    elements = { ${pairs.map((p) => `${p.ip} . ${p.mac}`).join(', ')} }`);
  body.push('  }');
  body.push('  chain input {', '    type filter hook input priority 0; policy drop;');
  body.push(`    iifname "${transitIfname}" accept`, '    arp saddr ip . arp saddr ether @registered accept', '  }');
  return replaceTable('arp', 'ooa_vpc', body);
}

/** The internet gateway: 1:1 NAT elastic IP ⇄ private IP; private sources without one are dropped. */
export function igwRules(eips: ReadonlyMap<string, string>, vpcSide: string, internetSide: string): string {
  const pairs = [...eips.entries()];
  const map = (name: string, elems: string[]) => {
    const lines = [`  map ${name} {`, '    type ipv4_addr : ipv4_addr'];
    if (elems.length) lines.push(`    elements = { ${elems.join(', ')} }`);
    lines.push('  }');
    return lines;
  };
  const body = [
    ...map(
      'public_to_private',
      pairs.map(([pub, priv]) => `${pub} : ${priv}`),
    ),
    ...map(
      'private_to_public',
      pairs.map(([pub, priv]) => `${priv} : ${pub}`),
    ),
    '  set has_public { type ipv4_addr;' +
      (pairs.length ? ` elements = { ${pairs.map(([, p]) => p).join(', ')} }` : '') +
      ' }',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    `    iifname "${internetSide}" dnat to ip daddr map @public_to_private`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "${internetSide}" snat to ip saddr map @private_to_public`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority 0; policy drop;',
    '    ct state established,related accept',
    `    iifname "${vpcSide}" oifname "${internetSide}" ip saddr @has_public accept`,
    `    iifname "${internetSide}" oifname "${vpcSide}" ct status dnat accept`,
    '  }',
  ];
  return replaceTable('ip', 'ooa_igw', body);
}

/** Root namespace: nothing that comes from (or would go to) the emulated internet is forwarded. */
export function hostLinkRules(table: string, ifname: string): string {
  return replaceTable('inet', table, [
    '  chain forward {',
    '    type filter hook forward priority -10; policy accept;',
    `    iifname "${ifname}" drop`,
    `    oifname "${ifname}" drop`,
    '  }',
  ]);
}
