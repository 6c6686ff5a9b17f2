import requests

r = requests.get('https://api.example.com/people', params={'email': input_data['email']})
return {'company': r.json().get('company', '')}
