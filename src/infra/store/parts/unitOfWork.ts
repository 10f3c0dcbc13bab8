// The unit of work: the core's writes of several aggregates, run as one batch (one transaction). Each
// part turns its own writes into statements; a part that brings new writes adds its case here.
import type { BatchStep, Executor } from '../executor.js';
import { certificateSteps } from './applications.js';
import { groupSteps } from './groups.js';
import { sessionSteps } from './sessions.js';
import { userSteps } from './users.js';
import type { UnitOfWorkStore, UnitStep } from '../../../core/store/index.js';

function stepsOf(unitStep: UnitStep): BatchStep[] {
  const required = unitStep.required === true;
  switch (unitStep.write) {
    case 'insertCertificate':
    case 'retireCertificates':
    case 'useCertificate':
      return certificateSteps(unitStep, required);
    case 'setUserDisabled':
    case 'transferUsers':
      return userSteps(unitStep, required);
    case 'deleteUserSessions':
    case 'deleteLocalSessionsOfSet':
    case 'deleteGroupSessions':
      return sessionSteps(unitStep, required);
    case 'insertGroup':
    case 'insertGroupMember':
    case 'deleteGroupMember':
    case 'deleteGroup':
      return groupSteps(unitStep, required);
  }
}

export function unitOfWorkPart(x: Executor): UnitOfWorkStore {
  return {
    apply: async (unit) => (await x.batch(unit.flatMap(stepsOf))) !== null,
  };
}
