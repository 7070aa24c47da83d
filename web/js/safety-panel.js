// safety-panel.js: the record panel's safety part (issue 14): the
// patient's open safety task first (the C-SSRS form, safety-task.js), then
// their monitoring alerts, unacknowledged first (monitoring-alerts.js).
// The record panel calls setPatient() each time it loads the record.

import { PatientAlerts } from './monitoring-alerts.js';
import { SafetyTasks } from './safety-task.js';

export class PatientSafety {
  constructor(root) {
    this.root = root;
    this.tasks = new SafetyTasks(root.querySelector('[data-testid="safety-tasks"]'));
    this.alerts = new PatientAlerts(root.querySelector('[data-testid="patient-alerts-part"]'));
  }

  setPatient(patientId, visitId) {
    this.root.hidden = !patientId;
    if (!patientId) return;
    this.tasks.setPatient(patientId, visitId);
    this.alerts.setPatient(patientId);
  }
}
