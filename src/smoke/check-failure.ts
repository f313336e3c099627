// A check that did not hold: carries what the JUnit report and the summary show.

import type { CheckFailureDetails } from './types';

export class CheckFailure extends Error implements CheckFailureDetails {
  constructor(
    message: string,
    readonly command: string,
    readonly output: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'CheckFailure';
  }
}

/** A check that cannot run because one it needs did not pass. */
export class CheckSkipped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CheckSkipped';
  }
}
