// How an EC2 error should be treated: retried (throttling, a lost answer, eventual consistency,
// resources still in use), answered with a fallback (capacity), or taken as "already gone" during teardown.

import { AwsError } from '../core/errors';

/** The EC2 error code of an SDK error (its name), of our AwsError, or '' for anything else. */
export function errorCode(err: unknown): string {
  if (err instanceof AwsError) return err.code;
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    for (const v of [e.Code, e.code, e.name]) if (typeof v === 'string' && v !== 'Error') return v;
  }
  return '';
}

const THROTTLING = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException']);

/** AWS asks us to slow down: the request was refused, nothing happened. */
export function isThrottling(err: unknown): boolean {
  return THROTTLING.has(errorCode(err));
}

// The request may or may not have taken effect: the connection broke or timed out before the answer
// arrived, or AWS failed on its side after accepting it.
const LOST_ANSWER = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
  'ServiceUnavailable',
  'Unavailable',
  'InternalError',
  'InternalFailure',
]);

/** No answer worth trusting: worth retrying, but a create may already exist. */
export function isLostAnswer(err: unknown): boolean {
  return LOST_ANSWER.has(errorCode(err));
}

/** "InvalidVpcID.NotFound", "InvalidAllocationID.NotFound", "InvalidKeyPair.NotFound", ... */
export function isNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code.endsWith('.NotFound') || code === 'InvalidAssociationID.NotFound';
}

export function isDependencyViolation(err: unknown): boolean {
  const code = errorCode(err);
  // Releasing an address that is still associated answers InvalidIPAddress.InUse.
  return code === 'DependencyViolation' || code === 'InvalidIPAddress.InUse';
}

/** No spot capacity (or price): the same node is asked for on-demand. */
export function isSpotCapacity(err: unknown): boolean {
  return [
    'InsufficientInstanceCapacity',
    'InsufficientCapacity',
    'SpotMaxPriceTooLow',
    'MaxSpotInstanceCountExceeded',
    'UnfulfillableCapacity',
  ].includes(errorCode(err));
}

/** No capacity (or no offering) in this availability zone: the placement moves to the next one. */
export function isZoneCapacity(err: unknown): boolean {
  return ['InsufficientInstanceCapacity', 'InsufficientCapacity', 'InsufficientHostCapacity', 'Unsupported'].includes(
    errorCode(err),
  );
}

export class CancelledError extends Error {
  constructor(what: string) {
    super(`cancelled before ${what}`);
    this.name = 'AbortError';
  }
}
