// Chooses the provider for a run. Everything after provisioning is shared by both.
import { createAwsProvider } from '../aws/provider';
import type { Settings } from '../settings/inputs';
import { createLocalProvider } from '../local/provider';
import type { Provider } from '../provider';

export type ProviderFactory = (settings: Settings) => Provider;

export const providerFor: ProviderFactory = (settings) =>
  settings.provider === 'local' ? createLocalProvider(settings) : createAwsProvider(settings);
