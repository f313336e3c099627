// The EC2 client and the one way every EC2 call is made: bounded retries for throttling (on top of
// the SDK's own), per-call extras (eventual consistency right after a create, DependencyViolation
// during teardown), cancellation checked before each call, and a typed AwsError at the end.

import { EC2Client } from '@aws-sdk/client-ec2';
import { AwsError, errorMessage } from '../core/errors';
import { retry, Sleep } from '../core/retry';
import { CancelledError, errorCode, isThrottling } from './errors';

/** Where the EC2 calls go: the only inputs the EC2 provider takes besides the Plan and the State. */
export interface AwsTarget {
  region: string;
  /** The `ec2-endpoint` input (the SDK reads AWS_ENDPOINT_URL_EC2 itself). */
  ec2Endpoint?: string;
}

export function createEc2Client(target: AwsTarget): EC2Client {
  return new EC2Client({
    region: target.region,
    ...(target.ec2Endpoint ? { endpoint: target.ec2Endpoint } : {}),
    // The SDK's adaptive mode slows down on throttling across all concurrent calls of this client.
    maxAttempts: 5,
    retryMode: 'adaptive',
  });
}

interface CallOptions {
  /** More errors worth retrying for this call, e.g. NotFound right after the referenced resource was created. */
  retryAlso?: (err: unknown) => boolean;
  /** Attempts for this call; the default suits throttling. */
  attempts?: number;
}

export interface Ec2 {
  /** `operation` names the call in errors and logs; `send` performs it with exactly one command object. */
  call<T>(operation: string, send: (client: EC2Client) => Promise<T>, opts?: CallOptions): Promise<T>;
}

interface Ec2Options {
  sleep: Sleep;
  /** When aborted, no further call starts (creating stops; what exists stays in the ledger). */
  signal?: AbortSignal;
  onRetry?: (operation: string, err: unknown, waitMs: number) => void;
  random?: () => number;
}

const DEFAULT_ATTEMPTS = 8;

export function ec2Caller(client: EC2Client, opts: Ec2Options): Ec2 {
  return {
    async call(operation, send, callOpts = {}) {
      try {
        return await retry(
          async () => {
            if (opts.signal?.aborted) throw new CancelledError(operation);
            return send(client);
          },
          {
            attempts: callOpts.attempts ?? DEFAULT_ATTEMPTS,
            baseMs: 500,
            maxMs: 8_000,
            retryable: (err) => isThrottling(err) || (callOpts.retryAlso?.(err) ?? false),
            sleep: opts.sleep,
            random: opts.random,
            onRetry: (err, _attempt, waitMs) => opts.onRetry?.(operation, err, waitMs),
          },
        );
      } catch (err) {
        if (err instanceof CancelledError || err instanceof AwsError) throw err;
        const code = errorCode(err) || 'Unknown';
        throw new AwsError(operation, code, errorMessage(err));
      }
    },
  };
}
