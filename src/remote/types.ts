// The contract every phase after provisioning uses to act on a node: the stage runner, the network
// fix, the smoke checks and the log bundle. src/remote/session.ts implements it on node-ssh.

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Names the stage in a RemoteCommandError (defaults to the command's first word). */
  stage?: string;
  /** Upper bound; on expiry the remote command is killed and a RemoteCommandError (timedOut) thrown. */
  timeoutMs?: number;
  /** Written to the command's standard input (secrets go here or in 0600 files, never in argv). */
  stdin?: string;
  /** Live output, e.g. to stream into a log group. */
  onOutput?: (chunk: string) => void;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /**
   * The command may run again: when its connection is lost before it exits, whatever is left of it
   * on the node is killed and it runs once more, instead of failing the run over one dropped channel.
   */
  idempotent?: boolean;
}

export interface RemoteSession {
  readonly node: string;
  /** Runs a bash command line as root (sudo where the login user is not root). */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Writes content to a remote file with the given mode (created root-owned, 0600 by default). */
  writeFile(remotePath: string, content: string | Buffer, mode?: number): Promise<void>;
  readFile(remotePath: string): Promise<Buffer>;
  close(): Promise<void>;
}
