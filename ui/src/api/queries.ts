/**
 * The UI's reads, as TanStack Query hooks: one key factory per API area and a hook per read.
 * Query functions call the `api/*.ts` clients with the query's `signal`, so a read that is no
 * longer wanted (unmounted screen, changed key) is aborted through the transport as before.
 * After a change, screens invalidate the area's key (`queryClient.invalidateQueries({ queryKey:
 * keys.projects.all })`) instead of re-reading by hand.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getMe, listApiKeys, listUsers, type UsersQuery } from './accounts';
import { getAsset, listAssets, type AssetQuery } from './assets';
import { listCharacters, listVoices, matchVoice } from './characters';
import { estimateRun, getDashboard, listHolds, listTransactions, type TransactionQuery } from './credits';
import { estimateExport, listExportHistory, type ExportHistoryQuery } from './export';
import { getStoryboard } from './storyboard';
import { getHealth, getProject, listProjects, type ListQuery } from './projects';
import { listSamples } from './samples';
import { listVersions } from './versions';
import { listInvitations, listMembers, previewInvitation } from './workspaces';
import type { ExportRequest } from './types';

export const keys = {
  health: ['health'] as const,
  samples: ['samples'] as const,
  projects: {
    all: ['projects'] as const,
    lists: ['projects', 'list'] as const,
    list: (q: ListQuery) => ['projects', 'list', q] as const,
    one: (id: string) => ['projects', 'one', id] as const,
  },
  versions: (projectId: string) => ['versions', projectId] as const,
  storyboard: (projectId: string, versionId: string) => ['storyboard', projectId, versionId] as const,
  characters: (projectId: string) => ['characters', projectId] as const,
  voices: (language: string) => ['voices', language] as const,
  voiceMatch: (voice: string, language: string) => ['voices', 'match', voice, language] as const,
  assets: {
    all: ['assets'] as const,
    lists: ['assets', 'list'] as const,
    list: (q: AssetQuery) => ['assets', 'list', q] as const,
    one: (id: string) => ['assets', 'one', id] as const,
  },
  exports: {
    all: ['exports'] as const,
    history: (q: ExportHistoryQuery) => ['exports', 'history', q] as const,
    estimate: (key: string) => ['exports', 'estimate', key] as const,
  },
  credits: {
    all: ['credits'] as const,
    dashboard: (days: number) => ['credits', 'dashboard', days] as const,
    holds: (status: 'pending' | 'settled' | 'voided' | undefined) => ['credits', 'holds', status ?? 'all'] as const,
    transactions: (q: TransactionQuery) => ['credits', 'transactions', q] as const,
    runEstimate: (projectId: string, templateId: string) => ['credits', 'run-estimate', projectId, templateId] as const,
  },
  account: {
    me: ['account', 'me'] as const,
    apiKeys: ['account', 'api-keys'] as const,
    users: (q: UsersQuery) => ['account', 'users', q] as const,
    usersAll: ['account', 'users'] as const,
  },
  workspaces: {
    list: (userId: string) => ['workspaces', userId] as const,
    members: (id: string) => ['workspace', id, 'members'] as const,
    invitations: (id: string) => ['workspace', id, 'invitations'] as const,
    invitation: (token: string) => ['invitation', token] as const,
  },
  /** The AI registry (providers, models, defaults). */
  providers: {
    all: ['providers'] as const,
  },
};

/* ---------- projects ---------- */

export const useHealth = (refetchInterval: number) =>
  useQuery({ queryKey: keys.health, queryFn: ({ signal }) => getHealth(signal), refetchInterval });

export const useSamples = () => useQuery({ queryKey: keys.samples, queryFn: ({ signal }) => listSamples(signal) });

export const useProjects = (q: ListQuery) =>
  useQuery({ queryKey: keys.projects.list(q), queryFn: ({ signal }) => listProjects(q, signal), placeholderData: keepPreviousData });

export const useProject = (id: string) =>
  useQuery({ queryKey: keys.projects.one(id), queryFn: ({ signal }) => getProject(id, signal) });

export const useVersions = (projectId: string) =>
  useQuery({ queryKey: keys.versions(projectId), queryFn: ({ signal }) => listVersions(projectId, signal) });

/* ---------- editor ---------- */

export const useCharacters = (projectId: string) =>
  useQuery({ queryKey: keys.characters(projectId), queryFn: ({ signal }) => listCharacters(projectId, {}, signal) });

export const useVoices = (language: string) =>
  useQuery({ queryKey: keys.voices(language), queryFn: ({ signal }) => listVoices(language, signal), placeholderData: keepPreviousData });

export const useVoiceMatch = (voice: string, language: string) =>
  useQuery({ queryKey: keys.voiceMatch(voice, language), queryFn: ({ signal }) => matchVoice(voice, language, signal), placeholderData: keepPreviousData });

export const useAssets = (q: AssetQuery) =>
  useQuery({ queryKey: keys.assets.list(q), queryFn: ({ signal }) => listAssets(q, signal), placeholderData: keepPreviousData });

/** One asset; assets are immutable once made, so it is read once per page load. */
export const useAsset = (id: string | null) =>
  useQuery({ queryKey: keys.assets.one(id ?? ''), queryFn: ({ signal }) => getAsset(id!, signal), enabled: id !== null, staleTime: Infinity });

export const useExportHistory = (q: ExportHistoryQuery) =>
  useQuery({ queryKey: keys.exports.history(q), queryFn: ({ signal }) => listExportHistory(q, signal), placeholderData: keepPreviousData });

/** The storyboard as saved (read-only uses: the export player's shot list). */
export const useStoryboard = (projectId: string, versionId: string) =>
  useQuery({ queryKey: keys.storyboard(projectId, versionId), queryFn: ({ signal }) => getStoryboard(projectId, versionId, signal) });

/** The export's estimate for a request body; `key` identifies the body (`requestKey`). */
export const useExportEstimateQuery = (body: ExportRequest, key: string) =>
  useQuery({
    queryKey: keys.exports.estimate(key),
    queryFn: ({ signal }) => estimateExport(body, signal),
    placeholderData: keepPreviousData,
    // An estimate is only asked for while the dialog is open; a later opening asks again.
    gcTime: 0,
  });

/* ---------- credits ---------- */

export const useDashboard = (days: number) =>
  useQuery({ queryKey: keys.credits.dashboard(days), queryFn: ({ signal }) => getDashboard(days, signal), placeholderData: keepPreviousData });

export const useHolds = (status: 'pending' | 'settled' | 'voided' | undefined) =>
  useQuery({ queryKey: keys.credits.holds(status), queryFn: ({ signal }) => listHolds(status, signal) });

export const useTransactions = (q: TransactionQuery) =>
  useQuery({ queryKey: keys.credits.transactions(q), queryFn: ({ signal }) => listTransactions(q, signal), placeholderData: keepPreviousData });

export const useRunEstimate = (projectId: string, templateId: string) =>
  useQuery({
    queryKey: keys.credits.runEstimate(projectId, templateId),
    queryFn: ({ signal }) => estimateRun({ project_id: projectId, template_id: templateId }, signal),
  });

/* ---------- accounts ---------- */

/** The signed-in account, read fresh every time a screen asks (an admin may have changed it). */
export const useMe = () => useQuery({ queryKey: keys.account.me, queryFn: ({ signal }) => getMe(signal), gcTime: 0 });

export const useApiKeys = () => useQuery({ queryKey: keys.account.apiKeys, queryFn: ({ signal }) => listApiKeys(signal) });

export const useUsers = (q: UsersQuery, enabled = true) =>
  useQuery({ queryKey: keys.account.users(q), queryFn: ({ signal }) => listUsers(q, signal), placeholderData: keepPreviousData, enabled });


/* ---------- workspaces ---------- */

export const useMembers = (workspaceId: string, enabled = true) =>
  useQuery({ queryKey: keys.workspaces.members(workspaceId), queryFn: ({ signal }) => listMembers(workspaceId, signal), enabled });

export const useInvitations = (workspaceId: string, enabled = true) =>
  useQuery({ queryKey: keys.workspaces.invitations(workspaceId), queryFn: ({ signal }) => listInvitations(workspaceId, signal), enabled });

export const useInvitationPreview = (token: string) =>
  useQuery({ queryKey: keys.workspaces.invitation(token), queryFn: ({ signal }) => previewInvitation(token, signal) });
