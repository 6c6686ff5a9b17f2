export default async function main({inputData}) {
  const r = await fetch(inputData.crm + '/tier?email=' + encodeURIComponent(inputData.email));
  const customer = await r.json();
  return {tier: customer.tier || 'basic', urgent: inputData.subject.toLowerCase().includes('urgent')};
}
