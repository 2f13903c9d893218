/**
 * Who may open what in the console: one list per section, and narrower lists for the actions
 * that change something. They mirror the API routes the sections stand for (a section is never
 * wider than its API), and test/integration/staff-routes.test.ts checks every route against them.
 */
import type { StaffRole } from '../services/staff/auth';

export type SectionId = 'review' | 'claims' | 'counter' | 'contactCentre' | 'lookup' | 'mailroom' | 'admin';

export const SECTIONS: Readonly<Record<SectionId, readonly StaffRole[]>> = {
  // Reading the queue and the documents (GET /api/review/*, /api/staff/documents/:id).
  review: ['clerk', 'supervisor', 'admin'],
  // Benefit claims in processing and each claim (GET /api/staff/claims…).
  claims: ['clerk', 'supervisor', 'admin'],
  counter: ['clerk', 'supervisor'],
  contactCentre: ['operator', 'supervisor'],
  // Personal data and the whole history of a citizen's PINs: not for operations.
  lookup: ['clerk', 'supervisor', 'operator', 'admin'],
  mailroom: ['clerk', 'supervisor', 'operations', 'admin'],
  admin: ['admin'],
};

/** Claim, decide, second review (POST /api/review/cases/:id/*). */
export const REVIEW_ACTORS: readonly StaffRole[] = ['clerk', 'supervisor'];

/** Accept or reject a claim in processing (POST /api/staff/claims/:id/decision). */
export const CLAIM_DECIDERS: readonly StaffRole[] = ['clerk', 'supervisor'];

/** Every role: the home page and logout. */
export const ANY_STAFF: readonly StaffRole[] = ['clerk', 'supervisor', 'operator', 'operations', 'admin'];
