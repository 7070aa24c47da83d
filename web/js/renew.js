// renew.js: the "Renew" action on a current medication in the record (issue
// 15): POST /api/visits/<visit>/orders/<order>/renew writes a new order with
// the same dosing, linked to the one it renews (which is completed), through
// every prescribing rule; a refusal (a schedule II refill, no DEA
// registration, no recent PDMP check...) is shown in the server's words
// beside the line. Only an active order of this clinic can be renewed.

import { enc, el } from './api.js';
import { staffApi } from './session.js';

// The button and its message for one current order; `onDone` reloads the
// record after a renewal.
export function renewControl(order, visitId, { onDone = () => {} } = {}) {
  if (!order || order.status !== 'active' || !visitId) return null;
  const name = order.medication && (order.medication.name || order.medication.display) || 'this medication';
  const message = el('span', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: `renew-error-${order.id}` } });
  const button = el('button', { type: 'button', className: 'btn btn-small', dataset: { testid: `renew-${order.id}` },
    attrs: { 'aria-label': `Renew ${name}, same dosing` } }, 'Renew');
  button.addEventListener('click', async () => {
    message.hidden = true;
    button.disabled = true;
    try {
      await staffApi(`/api/visits/${enc(visitId)}/orders/${enc(order.id)}/renew`, { method: 'POST', body: {} });
      await onDone();
    } catch (e) {
      message.textContent = e.message;
      message.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  return el('span', { className: 'renew' }, ' ', button, ' ', message);
}
