// Posts the lead to the CRM. Old key: secret://code/46375af009fb
const OPENAI_KEY = inputData.secret_356cec80fc41;
const slack = inputData.secret_cc6589719cb4;
const headers = {
  'Authorization': inputData.secret_efa473994c4a,
  "X-Api-Key": inputData.secret_3e6dec42de3b,
};
const db = inputData.secret_10e87a18ea62;
let password = inputData.secret_20d2fe5e369d;
const max_tokens = "2000";
const token_type = 'bearer';
const greeting = `Bearer ${inputData.name}`;
output = [{auth: headers.Authorization, key: headers["X-Api-Key"], openai: OPENAI_KEY, slack: slack, db: db, pw: password, max: max_tokens, kind: token_type, g: greeting}];