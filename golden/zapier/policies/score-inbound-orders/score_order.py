# Scores an inbound order for the fulfilment team.
import re
from datetime import datetime

# Zapier passes every input_data value as a string.
total = float(input_data.get('order_total') or 0)
quantities = {}
for item in input_data.get('items', '').split(','):
    name, _, qty = item.strip().partition(':')
    if name:
        quantities[name] = quantities.get(name, 0) + int(qty or 1)
domain = input_data.get('email', '').split('@')[-1].lower()
placed = datetime.strptime(input_data['placed_at'], '%Y-%m-%dT%H:%M:%SZ')
score = (10 if total >= 100 else 0) + (5 if domain.endswith('.edu') else 0)
print('scored order', input_data['order_id'], 'as', score)
output = {
    'order_id': input_data['order_id'],
    'units': sum(quantities.values()),
    'skus': ','.join(sorted(quantities)),
    'score': score,
    'tier': 'priority' if score >= 10 else 'standard',
    'weekday': placed.strftime('%A'),
    'postcode': re.sub(r'\s+', '', input_data.get('postcode', '')).upper(),
}
