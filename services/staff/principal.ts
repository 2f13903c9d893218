/** Who a staff member is to the services: an id and one role. */
export type StaffRole = 'clerk' | 'supervisor' | 'operator' | 'operations' | 'admin';

export interface StaffPrincipal {
  staffId: string;
  role: StaffRole;
}
