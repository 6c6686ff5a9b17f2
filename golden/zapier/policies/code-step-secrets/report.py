# Reports to the warehouse.
import json
password = input_data['secret_48486e1514e8']
conf = {'api_key': input_data['secret_1021ad463a16'], "max_tokens": "2000", 'enabled': 'true'}
url = input_data['secret_fbaf1d0a10d8']
name = f"Bearer {input_data['who']}"
return {'ok': True, 'n': len(conf)}