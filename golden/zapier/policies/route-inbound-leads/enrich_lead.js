// {{not a reference}}
const domain = (inputData.email || '').split('@')[1] || '';
const apiKey = inputData.secret_46375af009fb;
output = [{domain: domain, employees: Number(inputData.size || 0), lead_id: inputData.id}];