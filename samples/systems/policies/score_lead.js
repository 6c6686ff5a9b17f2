// Lead score from size and source: deterministic, no I/O.
const size = Number(inputData.lead.employees || 0);
output = { score: size >= 1000 ? 90 : size >= 100 ? 60 : 20 };
