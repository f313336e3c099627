// The exact command lines sent to a node. Kept pure so they can be read and tested: every remote
// command runs as root in bash, records its process group so a time-out can kill all of it, and
// never carries file content (secrets arrive on standard input).

import { shellQuote } from '../core/shell-quote';

/** Where a running command records its process group id (root-only, cleared at reboot). */
const EXEC_RUN_DIR = '/run/openstack-on-aws/exec';

export function pgidFile(execId: string, runDir = EXEC_RUN_DIR): string {
  return `${runDir}/${execId}.pgid`;
}

function asRoot(user: string, line: string): string {
  // -n: never prompt; a sudo that wants a password must fail at once, not hang until the time-out.
  return user === 'root' ? line : `sudo -n ${line}`;
}

/**
 * Wraps a bash command line: the outer bash records its process group (field 5 of /proc/$$/stat;
 * the process name in field 2 is "bash" here, so no space can shift the fields), runs the command
 * in a child bash, and removes the record. Builtins only, apart from the command and one rm: on a
 * busy node every fork counts.
 */
export function wrapCommand(user: string, execId: string, command: string, runDir = EXEC_RUN_DIR): string {
  const file = shellQuote(pgidFile(execId, runDir));
  const outer = [
    `[[ -d ${shellQuote(runDir)} ]] || mkdir -p ${shellQuote(runDir)}`,
    `read -r _ _ _ _ pgid _ < /proc/$$/stat`,
    `echo "$pgid" > ${file}`,
    `bash -c "$1"; rc=$?`,
    `rm -f ${file}`,
    `exit $rc`,
  ].join('\n');
  return asRoot(user, `bash -c ${shellQuote(outer)} openstack-on-aws ${shellQuote(command)}`);
}

/**
 * Kills the whole process group of a running command: TERM, up to 5 s grace, then KILL; waits until
 * nothing of the group is left, so a caller that gets the time-out knows the command is gone.
 * "Left" ignores zombies: where nobody reaps orphans at once, `kill -0` would still find them.
 */
export function killCommand(user: string, execId: string, runDir = EXEC_RUN_DIR): string {
  const file = shellQuote(pgidFile(execId, runDir));
  const script = [
    `pg=$(cat ${file} 2>/dev/null || true)`,
    `rm -f ${file}`,
    `[[ "$pg" =~ ^[0-9]+$ && "$pg" -gt 1 ]] || exit 0`,
    `group_alive() {`,
    `  local f s st pgrp`,
    `  for f in /proc/[0-9]*/stat; do`,
    `    read -r s < "$f" 2>/dev/null || continue`,
    `    s=\${s##*) }; st=\${s%% *}; s=\${s#* }; s=\${s#* }; pgrp=\${s%% *}`,
    `    [[ "$pgrp" == "$pg" && "$st" != Z ]] && return 0`,
    `  done`,
    `  return 1`,
    `}`,
    `wait_gone() { for _ in $(seq 50); do group_alive || return 0; sleep 0.1; done; return 1; }`,
    `kill -TERM -- "-$pg" 2>/dev/null || exit 0`,
    `wait_gone && exit 0`,
    `kill -KILL -- "-$pg" 2>/dev/null || true`,
    `wait_gone`,
  ].join('\n');
  return asRoot(user, `bash -c ${shellQuote(script)}`);
}

/** Writes standard input to a file atomically with the given mode; the content never touches argv. */
export function writeFileCommand(remotePath: string, mode: number): string {
  const p = shellQuote(remotePath);
  const octal = mode.toString(8).padStart(4, '0');
  // The temporary file is created 0600 (umask) before any byte arrives, then gets its final mode.
  // The folder is made only when missing: `install -d` on an existing one resets its mode, which
  // turned /var/tmp (the smoke image) and /tmp (the log collector) into 0755 and broke every
  // service user's temporary files there.
  return [
    `{ [ -d "$(dirname ${p})" ] || install -d -m 0755 "$(dirname ${p})"; }`,
    `tmp=$(umask 077 && mktemp ${shellQuote(remotePath + '.XXXXXX')})`,
    `cat > "$tmp"`,
    `chmod ${octal} "$tmp"`,
    `mv -f "$tmp" ${p}`,
  ].join(' && ');
}

export function readFileCommand(remotePath: string): string {
  return `cat ${shellQuote(remotePath)}`;
}
