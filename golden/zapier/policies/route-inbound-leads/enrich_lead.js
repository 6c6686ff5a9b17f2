// {{not a reference}}
const domain = (inputData.email || '').split('@')[1] || '';
const apiKey = 'secret://code/46375af009fb';
output = [{domain: domain, employees: Number(inputData.size || 0), lead_id: inputData.id}];