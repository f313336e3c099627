// On-demand prices for the cost estimate in the job summary. An ESTIMATE: us-east-1, Linux,
// on-demand, in US dollars, excluding tax, data transfer and spot discounts.
//
// Source: the AWS price pages https://aws.amazon.com/ec2/pricing/on-demand/ (instances),
// https://aws.amazon.com/vpc/pricing/ (public IPv4: $0.005 per address-hour since 2024-02-01) and
// https://aws.amazon.com/ebs/pricing/ (gp3 $0.08 per GB-month), as published in 2025 and written
// down here on 2026-11-21 from those pages' 2025 figures (no network access to re-check them while
// writing); other regions cost up to ~30% more. Update the table and the date together.

export const PRICES_AS_OF = '2025 list prices, recorded 2026-11-21';
export const PRICE_REGION = 'us-east-1';

/** USD per instance-hour. */
export const INSTANCE_HOURLY_USD: Readonly<Record<string, number>> = {
  // the defaults (src/instance-types.ts)
  'm7i.xlarge': 0.2016,
  'm8i.xlarge': 0.21168,
  't3.medium': 0.0416,
  // the seeds' types
  't2.xlarge': 0.1856,
  't2.medium': 0.0464,
  // common overrides
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  'm5.xlarge': 0.192,
  'm6i.xlarge': 0.192,
  'm7i.2xlarge': 0.4032,
  'm8i.2xlarge': 0.42336,
  'c7i.xlarge': 0.1785,
  'c7i.2xlarge': 0.357,
  'm5.metal': 4.608,
};

/** USD per public IPv4 address-hour (elastic IPs included, attached or not). */
export const PUBLIC_IPV4_HOURLY_USD = 0.005;

/** USD per GB-month of gp3 (a month is 730 hours in AWS's arithmetic). */
export const GP3_GB_MONTH_USD = 0.08;
export const HOURS_PER_MONTH = 730;
