/**
 * Search attributes operations filter credentials by in the Temporal UI. None carries personal
 * data: the workflow id is a pseudonymous uuid, and these are states, channels and PIN types
 * (and a mail-room batch's progress).
 * The dev server registers them at start (`npm start`); on a cluster, `temporal operator
 * search-attribute create` registers them once per namespace.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PinStateAttribute = defineSearchAttributeKey('PinState', SearchAttributeType.KEYWORD);
export const PinChannelAttribute = defineSearchAttributeKey('PinChannel', SearchAttributeType.KEYWORD);
export const PinTypeAttribute = defineSearchAttributeKey('PinType', SearchAttributeType.KEYWORD);

/** A mail-room batch's dispatch, in per cent of its letters in the print file (0–100). */
export const MailroomProgressAttribute = defineSearchAttributeKey('MailroomProgress', SearchAttributeType.INT);

export const SEARCH_ATTRIBUTES = [PinStateAttribute, PinChannelAttribute, PinTypeAttribute, MailroomProgressAttribute];
