// Chooses the provider for a run. Everything after provisioning is shared by both. A provider takes
// only where its calls go (the EC2 region and endpoint); what to create comes with the Plan, what
// to delete from the State and the tags.
import type { AwsTarget } from '../aws/client';
import { createAwsProvider } from '../aws/provider';
import { createLocalProvider } from '../local/provider';
import type { Provider } from '../provider';
import type { ProviderId } from '../settings/matrix';

interface ProviderTarget extends AwsTarget {
  provider: ProviderId;
}

export type ProviderFactory = (target: ProviderTarget) => Provider;

export const providerFor: ProviderFactory = (target) =>
  target.provider === 'local'
    ? createLocalProvider()
    : createAwsProvider({ region: target.region, ec2Endpoint: target.ec2Endpoint });
