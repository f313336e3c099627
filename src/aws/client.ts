// The EC2 client and the one way every EC2 call is made: bounded retries with our own back-off for
// throttling and for lost answers, per-call extras (eventual consistency right after a create,
// DependencyViolation during teardown), cancellation checked before each call, and a typed
// AwsError at the end.
//
// The SDK itself sends each request once, in its standard mode. Its adaptive mode slows every later
// call of the client after one throttled answer (with 1 in 4 mutating calls throttled it added 43 s
// of waiting to a 1.5 s provisioning in npm run bench:provision); here a throttled call waits alone,
// from 125-250 ms doubling up to 8 s. And the SDK resends a create blindly
// after a lost answer, which duplicates what has no ClientToken; here such a create first looks for
// what the lost attempt made (findCreated), and a Duplicate answer after it resolves to that.

import { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';
import { AwsError, errorMessage } from '../core/errors';
import { retry, Sleep } from '../core/retry';
import { CancelledError, errorCode, isLostAnswer, isThrottling } from './errors';

/** Where the EC2 calls go: the only inputs the EC2 provider takes besides the Plan and the State. */
export interface AwsTarget {
  region: string;
  /** The `ec2-endpoint` input (the SDK reads AWS_ENDPOINT_URL_EC2 itself). */
  ec2Endpoint?: string;
}

export function ec2ClientConfig(target: AwsTarget): EC2ClientConfig {
  return {
    region: target.region,
    ...(target.ec2Endpoint ? { endpoint: target.ec2Endpoint } : {}),
    // One attempt per SDK send: every retry is ec2Caller's, per call and on the injected clock.
    maxAttempts: 1,
    retryMode: 'standard',
  };
}

export function createEc2Client(target: AwsTarget): EC2Client {
  return new EC2Client(ec2ClientConfig(target));
}

interface CallOptions<T> {
  /** More errors worth retrying for this call, e.g. NotFound right after the referenced resource was created. */
  retryAlso?: (err: unknown) => boolean;
  /** Attempts for this call; the default suits throttling. */
  attempts?: number;
  /**
   * For a create without ClientToken: what an earlier attempt whose answer was lost created, found
   * by this run's tags. Asked before each resend after a lost answer; what it finds is the result.
   */
  findCreated?: () => Promise<T | undefined>;
  /**
   * Errors that, after an attempt whose answer was lost, say that attempt took effect (a Duplicate,
   * AlreadyAssociated, RouteAlreadyExists): the call resolves to what findCreated finds, or, for a
   * call that creates nothing to look up, to an empty answer.
   */
  tookEffect?: (err: unknown) => boolean;
}

export interface Ec2 {
  /** `operation` names the call in errors and logs; `send` performs it with exactly one command object. */
  call<T>(operation: string, send: (client: EC2Client) => Promise<T>, opts?: CallOptions<NoInfer<T>>): Promise<T>;
}

interface Ec2Options {
  sleep: Sleep;
  /** When aborted, no further call starts (creating stops; what exists stays in the ledger). */
  signal?: AbortSignal;
  onRetry?: (operation: string, err: unknown, waitMs: number) => void;
  random?: () => number;
}

const DEFAULT_ATTEMPTS = 8;
/** Looks for what a lost create made before it is sent again: 1 s, then 2 s apart. */
const LOOKS_BEFORE_RESEND = 3;
const LOOKUP_LAG_MS = 1_000;
/** Lookups after a Duplicate: Describe may lag a moment behind the create it answers for. */
const FIND_ATTEMPTS = 4;

export function ec2Caller(client: EC2Client, opts: Ec2Options): Ec2 {
  // A first throttling retry after 50-100 ms (the SDK's standard mode starts from 100 ms too): a
  // throttled call on the critical path delays the whole stack by its wait (npm run bench:provision:
  // 250 ms gave 2.7x the unthrottled API time, 100 ms 2.1-2.3x; with boot and termination 1.03x).
  const backOff = { baseMs: 100, maxMs: 8_000, sleep: opts.sleep, random: opts.random };

  /** After a Duplicate: the resource exists, so a lookup that misses it is Describe lagging behind. */
  const findAfterDuplicate = <T>(operation: string, find: () => Promise<T | undefined>, duplicate: unknown) =>
    retry(
      async () => {
        const found = await find();
        if (found === undefined) throw duplicate;
        return found;
      },
      { ...backOff, attempts: FIND_ATTEMPTS, retryable: (err) => err === duplicate },
    ).catch((err: unknown) => {
      throw err === duplicate
        ? new AwsError(
            operation,
            errorCode(duplicate),
            `${errorMessage(duplicate)} (after a lost answer, and no resource of this run was found by its tags)`,
          )
        : err;
    });

  return {
    async call<T>(operation: string, send: (client: EC2Client) => Promise<T>, callOpts: CallOptions<T> = {}) {
      // Set once an attempt's answer was lost: that attempt may have taken effect.
      let maybeDone = false;
      try {
        return await retry(
          async () => {
            if (opts.signal?.aborted) throw new CancelledError(operation);
            if (maybeDone && callOpts.findCreated) {
              // Describe may lag a moment behind the create: look a few times before creating again.
              let found = await callOpts.findCreated();
              for (let look = 1; found === undefined && look < LOOKS_BEFORE_RESEND; look++) {
                await opts.sleep(LOOKUP_LAG_MS * 2 ** (look - 1));
                found = await callOpts.findCreated();
              }
              if (found !== undefined) return found;
            }
            try {
              return await send(client);
            } catch (err) {
              if (maybeDone && callOpts.tookEffect?.(err))
                return callOpts.findCreated
                  ? findAfterDuplicate(operation, callOpts.findCreated, err)
                  : ({ $metadata: {} } as T);
              if (isLostAnswer(err)) maybeDone = true;
              throw err;
            }
          },
          {
            ...backOff,
            attempts: callOpts.attempts ?? DEFAULT_ATTEMPTS,
            retryable: (err) =>
              !(err instanceof AwsError) &&
              (isThrottling(err) || isLostAnswer(err) || (callOpts.retryAlso?.(err) ?? false)),
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
