/** Constants the members page renders (its form schemas are in members.server.ts). */
export { PROJECT_ROLES as ROLES } from '../../domain/vocabulary.ts';
