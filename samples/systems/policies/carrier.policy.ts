// Carrier selection for the `dispatch` sample: cheapest carrier that meets the SLA.
// Runs in the sandboxed policy engine: no clock, network, filesystem or randomness.
interface Rate { carrier: string; price: number; days: number }
interface Input { order: { id: string; weight: number; express?: boolean }; carrier_rates: Rate[]; sla_policy: { max_days: number } }

export default function decide(input: Input): { carrier: string; price: number } | null {
  const maxDays: number = input.order.express ? 1 : input.sla_policy.max_days;
  const eligible: Rate[] = input.carrier_rates.filter((r: Rate) => r.days <= maxDays);
  if (eligible.length === 0) {
    return null;
  }
  eligible.sort((a: Rate, b: Rate) => a.price - b.price || a.carrier.localeCompare(b.carrier));
  return { carrier: eligible[0].carrier, price: eligible[0].price };
}
