export const ASPECT_RATIOS = ['9:16', '16:9', '1:1'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

export const PROJECT_STATUSES = ['draft', 'in_progress', 'completed'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export interface Project {
  id: string;
  name: string;
  description: string;
  aspect_ratio: AspectRatio;
  style: string | null;
  status: ProjectStatus;
  script: string | null;
  /** The version the editor opens (API-EDITOR: every project has one from creation). */
  current_version_id?: string | null;
  /** The most a run of this project may be estimated to cost, in credits; null: none (API-PROVIDERS). */
  cost_cap?: number | null;
  /** The newest keyframe of the current version (an image asset) for the list's thumbnail; null before any. */
  thumbnail_asset_id?: string | null;
  created_at: string;
  /** The latest change to the project, its runs or its exports. */
  updated_at: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  limit: number;
  totalPages: number;
}

export interface NewProject {
  name: string;
  description?: string;
  aspect_ratio?: AspectRatio;
  style?: string;
}

export type ProjectPatch = Partial<
  Pick<Project, 'name' | 'description' | 'aspect_ratio' | 'status' | 'style' | 'script'>
> & {
  /** Credits; null clears the project's cap. */
  cost_cap?: number | null;
};

export interface DeletedProject {
  message: string;
  id: string;
}

export interface Health {
  status: string;
  version: string;
  uptime: number;
  database: string;
  storage: string;
  timestamp: string;
}

/* ---------- editor (docs/API-EDITOR.md) ---------- */

export interface Version {
  id: string;
  project_id: string;
  number: number;
  parent_version_id: string | null;
  note: string | null;
  metadata: unknown;
  stage: string | null;
  is_current: boolean;
  script_asset_id: string | null;
  parsed_at: string | null;
  scene_count: number;
  shot_count: number;
  created_at: string;
  updated_at: string;
}

export interface NewVersion {
  from_version_id?: string;
  note?: string;
  metadata?: unknown;
  make_current?: boolean;
}

/* The parser's output (src/script/mod.rs `Breakdown`). */
export interface BreakdownMetadataEntry {
  key: string;
  value: string;
}

export interface BreakdownEpisode {
  number: number;
  title: string | null;
  heading: string;
}

export type IntExt = 'interior' | 'exterior' | 'interior_exterior';

export interface BreakdownScene {
  number: number;
  episode: number | null;
  heading: string | null;
  source_number: string | null;
  location: string | null;
  time_of_day: string | null;
  int_ext: IntExt | null;
  transitions: string[];
  characters: string[];
  shot_numbers: number[];
  duration_secs: number;
}

export type ShotKind = 'action' | 'dialogue';

export interface DialogueLine {
  character: string;
  extension: string | null;
  parenthetical: string | null;
  text: string;
  dual: boolean;
}

export interface BreakdownShot {
  number: number;
  scene_number: number;
  kind: ShotKind;
  description: string;
  characters: string[];
  dialogue: DialogueLine[];
  duration_secs: number;
  fingerprint: string;
}

export interface CharacterSummary {
  name: string;
  dialogue_lines: number;
  first_scene: number;
}

export interface BreakdownNote {
  kind: 'section' | 'synopsis' | 'remark';
  level: number | null;
  text: string;
  scene_number: number | null;
}

export interface Breakdown {
  title: string | null;
  metadata: BreakdownMetadataEntry[];
  episodes: BreakdownEpisode[];
  scenes: BreakdownScene[];
  shots: BreakdownShot[];
  characters: CharacterSummary[];
  notes: BreakdownNote[];
  warnings: string[];
  total_duration_secs: number;
}

export interface ScriptDocument {
  version_id: string;
  text: string;
  script_asset_id: string | null;
  parsed_at: string | null;
  /** Bumped by every save; sent back as `base_revision` so two windows never overwrite each other. */
  revision: number;
  breakdown: Breakdown | null;
}

export interface ParseResult {
  version_id: string;
  status: 'completed';
  scene_count: number;
  shot_count: number;
  kept_shots: number;
  new_shots: number;
  removed_shots: number;
  proposed_characters: string[];
  warnings: string[];
  total_duration: number;
  revision: number;
}

export interface ScriptUpload {
  asset_id: string;
  filename: string;
  url: string;
  encoding: string;
  chars: number;
  parse: ParseResult;
}

export interface Sample {
  id: string;
  title: string;
  language: string;
  filename: string;
  description: string;
}

export interface Scene {
  id: string;
  version_id: string;
  number: number;
  episode: number | null;
  heading: string | null;
  location: string | null;
  time_of_day: string | null;
  int_ext: IntExt | null;
  shot_count: number;
  duration: number;
}

export const SHOT_TYPES = [
  'extreme_wide',
  'wide',
  'full',
  'medium',
  'medium_close',
  'close_up',
  'extreme_close_up',
  'over_the_shoulder',
  'pov',
  'insert',
] as const;
export type ShotType = (typeof SHOT_TYPES)[number];

export const CAMERA_MOVES = [
  'static',
  'pan',
  'tilt',
  'dolly_in',
  'dolly_out',
  'truck',
  'crane',
  'handheld',
  'zoom_in',
  'zoom_out',
  'orbit',
] as const;
export type CameraMove = (typeof CAMERA_MOVES)[number];

export interface Shot {
  id: string;
  project_id: string;
  version_id: string;
  scene_id: string;
  scene_number: number;
  number: number;
  order_key: string;
  kind: ShotKind;
  description: string;
  dialogue: DialogueLine[];
  character_ids: string[];
  characters: string[];
  shot_type: ShotType | null;
  camera_move: CameraMove | null;
  duration: number;
  status: string;
  image_url: string | null;
  keyframe_asset_id: string | null;
  clip_asset_id: string | null;
  source: 'parser' | 'manual';
  edited: boolean;
  created_at: string;
  updated_at: string;
}

/** Absent fields stay; an empty `shot_type` / `camera_move` clears it. */
export interface ShotPatch {
  description?: string;
  dialogue?: DialogueLine[];
  character_ids?: string[];
  shot_type?: ShotType | '';
  camera_move?: CameraMove | '';
  duration?: number;
  status?: string;
}

export interface NewShot {
  project_id: string;
  version_id?: string;
  scene_number?: number;
  scene_id?: string;
  description: string;
  character_ids?: string[];
  duration?: number;
  shot_type?: ShotType;
  camera_move?: CameraMove;
  dialogue?: DialogueLine[];
  after_id?: string;
}

/** Exactly one of the two; `after_id: null` puts the shot first. */
export type MoveTarget = { after_id: string | null } | { before_id: string | null };

export type SplitAt = { at_line: number } | { at_char: number } | Record<string, never>;

export interface StoryboardScene extends Scene {
  shots: Shot[];
}

export interface Storyboard {
  project_id: string;
  version_id: string;
  total_duration: number;
  scenes: StoryboardScene[];
}

export interface DeletedShot {
  id: string;
  deleted_at: string;
}

export type CharacterStatus = 'proposed' | 'confirmed';

export interface Character {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  voice: string | null;
  status: CharacterStatus;
  /** Its place in the project's cast: the animatic draws each slot in its own colours. */
  look_slot?: number;
  /** The main reference image (one of `reference_asset_ids`), or null. */
  image_asset_id?: string | null;
  image_url: string | null;
  thumbnail_url: string | null;
  reference_asset_ids: string[];
  consistency_profile: unknown;
  consistency_model_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface NewCharacter {
  project_id: string;
  name: string;
  description?: string;
  voice?: string;
}

export type CharacterPatch = Partial<Pick<Character, 'name' | 'description' | 'voice'>> & {
  /** Makes another of `reference_asset_ids` the main image. */
  image_asset_id?: string;
};

export type VoiceGender = 'female' | 'male';

/** One voice a TTS model offers (`GET /voices`). */
export interface VoiceInfo {
  id: string;
  name: string;
  language: string | null;
  gender: VoiceGender | null;
}

export interface VoiceList {
  provider: string;
  language: string | null;
  voices: VoiceInfo[];
  /** espeak-ng variants, appended with `+` (`cmn+f3`). */
  variants: VoiceInfo[];
  accepts_descriptions: boolean;
  note: string | null;
}

/** Which built-in voice a character's voice stands for (`GET /voices/match`). */
export interface VoiceMatch {
  voice: string;
  pitch: number | null;
  described: boolean;
  note: string | null;
}

export const ASSET_TYPES = [
  'original_script',
  'storyboard_script',
  'character_image',
  'keyframe_image',
  'video_clip',
  'audio',
  'subtitle',
  'export_video',
  'other',
] as const;
export type AssetType = (typeof ASSET_TYPES)[number];
export type AssetStatus = 'active' | 'trashed';

export interface Asset {
  id: string;
  project_id: string;
  version_id: string | null;
  type: AssetType;
  url: string;
  thumbnail_url: string | null;
  filename: string;
  filesize: number;
  mime_type: string;
  sha256: string;
  width: number | null;
  height: number | null;
  metadata: unknown;
  status: AssetStatus;
  trashed_at: string | null;
  created_at: string;
  updated_at: string;
}

/* ---------- workflows (docs/API-WORKFLOWS.md) ---------- */

export interface GraphNode {
  id: string;
  kind: string;
  label?: string | null;
  config?: unknown;
}

/** `from`/`to` are `"<node id>.<port>"`. */
export interface GraphEdge {
  from: string;
  to: string;
}

export interface WorkflowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface TemplateVersion {
  id: string;
  template_id: string;
  number: number;
  graph: WorkflowGraph;
  note: string;
  created_at: string;
}

export interface WorkflowTemplate {
  id: string;
  name: string;
  description: string;
  builtin: boolean;
  current_version: TemplateVersion;
  version_count: number;
  created_at: string;
  updated_at: string;
}

export const BUILTIN_TEMPLATES = ['animatic', 'full_production'] as const;

export const RUN_STATUSES = ['queued', 'running', 'paused', 'waiting_review', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const STEP_STATUSES = ['pending', 'running', 'waiting', 'completed', 'failed', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface Step {
  node_run_id: string;
  node_id: string;
  /** Seed 002's step name (the node id). */
  name: string;
  kind: string;
  label: string | null;
  status: StepStatus;
  attempts: number;
  cached: boolean;
  progress: number;
  items_total: number;
  items_done: number;
  items_cached: number;
  inputs_hash: string | null;
  /** What the node is expected to cost, from its model's price (API-PROVIDERS "Money"); absent on older servers. */
  estimate_credits?: number;
  /** What it cost: the settled charges. */
  cost_credits: number;
  output: unknown;
  error: string | null;
  retryable: boolean;
  log: string;
  started_at: string | null;
  completed_at: string | null;
}

export interface Run {
  id: string;
  project_id: string;
  version_id: string;
  template_id: string;
  template_version_id: string;
  workflow_type: string;
  status: RunStatus;
  current_step: string | null;
  /** 0–1 */
  progress: number;
  steps: Step[];
  error: string | null;
  cost_credits: number;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface StartRunInput {
  project_id: string;
  version_id?: string;
  template_id?: string;
  template_version_id?: string;
}

/** Answer of pause/resume/cancel/retry. */
export interface RunAction {
  id: string;
  status: RunStatus;
  message: string;
  run: Run;
}

export type ReviewDecision = 'approve' | 'reject' | 'replace' | 'select';

export interface ReviewItem {
  /** The shot id. */
  item_key: string;
  shot_id: string;
  shot_number: number;
  scene_number: number;
  description: string;
  /** The shot's dialogue lines (an array of DialogueLine-like objects; kept loose, see review.rs). */
  dialogue: unknown;
  asset_id: string | null;
  image_url: string | null;
  decision: ReviewDecision | null;
  comment: string | null;
  decided_by: string | null;
  decided_at: string | null;
  locked: boolean;
  /** Every frame drawn for the shot in this run; more than one when the node draws candidates. */
  candidates?: { asset_id: string; image_url: string }[];
  /** The rejection this frame was redrawn to answer (API-WORKFLOWS "The reject loop"). */
  redrawn_after?: ReviewRejection | null;
  /** A redraw of this rejected shot, running or failed. */
  redraw?: ReviewRedraw | null;
}

export interface ReviewRejection {
  /** The rejected frame. */
  asset_id: string | null;
  comment: string | null;
  decided_at: string;
}

export interface ReviewRedraw {
  status: 'running' | 'failed';
  error: string | null;
}

export interface ReviewQueue {
  node_run_id: string;
  run_id: string;
  status: string;
  items: ReviewItem[];
  approved: number;
  rejected: number;
  undecided: number;
  /** Rejections without an approved replacement: the gate stays shut while this is not 0. */
  unresolved?: number;
}

export interface DecisionInput {
  item_key: string;
  decision: 'approve' | 'reject' | 'unlock';
  comment?: string;
}

/** One `event: progress` payload of the run's SSE stream. */
export interface ProgressUpdate {
  type: 'progress_update';
  run_id: string;
  workflow_id: string;
  node_id: string | null;
  status: string;
  progress: number;
  current_step: string | null;
  message: string | null;
  item?: unknown;
  items?: unknown;
  timestamp: string;
}

/* ---------- export (docs/API-EXPORT.md) ---------- */

export const EXPORT_RESOLUTIONS = ['480p', '720p', '1080p', '2160p'] as const;
export type ExportResolution = (typeof EXPORT_RESOLUTIONS)[number];

export const EXPORT_FPS = [24, 25, 30] as const;
export type ExportFps = (typeof EXPORT_FPS)[number];

export const EXPORT_FORMATS = ['mp4', 'webm'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_SUBTITLES = ['soft', 'burn', 'none'] as const;
export type ExportSubtitles = (typeof EXPORT_SUBTITLES)[number];

export const EXPORT_TRANSITIONS = ['cut', 'crossfade'] as const;
export type ExportTransition = (typeof EXPORT_TRANSITIONS)[number];

export const EXPORT_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** The body of `POST /export/estimate` and `POST /export`; absent fields take the server's defaults. */
export interface ExportRequest {
  project_id: string;
  version_id?: string;
  run_id?: string;
  resolution?: ExportResolution;
  aspect_ratio?: AspectRatio;
  fps?: ExportFps;
  format?: ExportFormat;
  /** `true` = "soft", `false` = "none". */
  include_subtitles?: ExportSubtitles | boolean;
  transition?: ExportTransition;
  motion?: boolean;
  music_asset_id?: string;
  /** Keep the review's working marks on the frames (default false: clean frames). */
  overlays?: boolean;
  /** Subtitles carry the speaker's name (default false). */
  speaker_names?: boolean;
}

/** `POST /export/preview`: the storyboard as it stands, one encoded frame per shot. */
export interface ExportPreviewRequest {
  project_id: string;
  version_id?: string;
  speaker_names?: boolean;
}

export interface ExportPreview {
  preview_id: string;
  project_id: string;
  version_id: string;
  /** An API path to the MP4. */
  video_url: string;
  width: number;
  height: number;
  aspect_ratio: AspectRatio;
  /** Seconds. */
  duration: number;
  shots: { shot_id: string; number: number; scene_number: number; start: number; duration: number; has_frame: boolean }[];
  cues: { start: number; end: number; text: string }[];
  voiced_lines: number;
  elapsed_ms: number;
}

export interface ExportEstimate {
  project_id: string;
  version_id: string;
  run_id: string;
  resolution: ExportResolution;
  aspect_ratio: AspectRatio;
  width: number;
  height: number;
  fps: number;
  format: ExportFormat;
  shots: number;
  /** Seconds (float). */
  video_length: number;
  frames: number;
  /** Credits (integer); 0 on the offline providers. */
  estimated_cost: number;
  /** Seconds the encode should take (integer). */
  estimated_duration: number;
  /** Credits left, or null when no budget is set. */
  user_quota_remaining: number | null;
  sufficient_quota: boolean;
}

export interface Export {
  export_id: string;
  id: string;
  project_id: string;
  project_name: string;
  version_id: string;
  run_id: string;
  status: ExportStatus;
  /** 0–1 */
  progress: number;
  /** What ffmpeg is doing, or the error. */
  message: string | null;
  error: string | null;
  resolution: ExportResolution;
  aspect_ratio: AspectRatio;
  width: number;
  height: number;
  fps: number;
  format: ExportFormat;
  include_subtitles: ExportSubtitles;
  transition: ExportTransition;
  motion: boolean;
  music_asset_id: string | null;
  /** An API path (`/api/v1/assets/{id}/download`); null until completed. */
  video_url: string | null;
  /** The .srt's API path, or null. */
  subtitles_url: string | null;
  asset_id: string | null;
  srt_asset_id: string | null;
  /** Bytes. */
  file_size: number | null;
  /** Seconds, measured by ffprobe. */
  duration: number | null;
  /** Seconds, planned. */
  video_length: number | null;
  /** Frames, planned (the server sends it; not in the contract's list). */
  frames?: number;
  /** Credits charged (the server sends it; not in the contract's list). */
  cost_credits?: number;
  estimated_completion: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

/** One `event: progress` payload of `GET /export/{id}/events` (and the Tauri event `export-progress`). */
export interface ExportEvent {
  type: 'export_progress';
  export_id: string;
  status: ExportStatus;
  progress: number;
  message: string | null;
  timestamp: string;
}

/* ---------- providers and models (docs/API-PROVIDERS.md) ---------- */

export const MODEL_KINDS = ['llm', 'image', 'video', 'tts', 'asr'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export const ADAPTERS = ['builtin', 'openai_compatible', 'dashscope', 'comfyui'] as const;
export type Adapter = (typeof ADAPTERS)[number];

/** The unit a model's price is per; it follows the kind (llm `1k_tokens`, image `image`, …). */
export type PriceUnit = '1k_tokens' | 'image' | 'second' | '1k_chars' | 'minute';

export interface Provider {
  id: string;
  name: string;
  adapter: Adapter;
  base_url: string;
  /** First three and last four characters of the secret, or null without one. */
  api_key_masked: string | null;
  has_api_key: boolean;
  enabled: boolean;
  max_concurrency: number;
  /** The in-process offline providers: not editable, not disableable. */
  builtin: boolean;
  created_at: string;
  updated_at: string;
}

export interface NewProvider {
  name: string;
  adapter: Adapter;
  base_url: string;
  api_key?: string;
  enabled?: boolean;
  /** 1–64, default 4. */
  max_concurrency?: number;
}

/** Any of NewProvider's fields; `api_key: ""` clears the secret. */
export type ProviderPatch = Partial<NewProvider>;

/** The answer of `POST /admin/providers/{id}/test`: a real minimal call. */
export interface ProviderTestResult {
  ok: boolean;
  latency_ms: number;
  model: string | null;
  /** The upstream's error when `ok` is false (the server may send "" or a note when it is true). */
  message: string | null;
}

/** A model's default configuration, passed to its adapter. */
export interface ModelConfig {
  temperature?: number;
  max_tokens?: number;
  size?: string;
  voice?: string;
  /** ComfyUI: an API-format workflow. */
  workflow?: unknown;
  /** ComfyUI: which node ids receive the prompt, seed, reference image and negative prompt. */
  nodes?: Partial<Record<'prompt' | 'seed' | 'image' | 'negative', string>>;
  duration?: number;
  [key: string]: unknown;
}

export interface Model {
  id: string;
  provider_id: string;
  /** The provider's name. */
  provider: string;
  kind: ModelKind;
  name: string;
  model_name: string;
  category: string | null;
  /** Credits per unit (llm: per 1k input tokens). */
  credits_cost: number;
  /** llm only: credits per 1k output tokens. */
  output_credits_cost: number | null;
  unit: PriceUnit;
  config: ModelConfig | null;
  is_active: boolean;
  is_default: boolean;
  builtin: boolean;
  popularity: number;
  created_at: string;
  updated_at: string;
}

export interface NewModel {
  name: string;
  /** A provider name; with `api_base` finds or creates a provider (unless `provider_id` is given). */
  provider: string;
  model_name: string;
  provider_id?: string;
  api_key?: string;
  api_base?: string;
  config?: ModelConfig;
  credits_cost?: number;
  output_credits_cost?: number;
  kind?: ModelKind;
  category?: string;
  adapter?: Adapter;
}

export type ModelPatch = Partial<
  Pick<Model, 'name' | 'model_name' | 'credits_cost' | 'output_credits_cost' | 'category' | 'is_active'> & { config: ModelConfig }
>;

export interface ModelQuery {
  page?: number;
  limit?: number;
  kind?: ModelKind;
  category?: string;
  /** A provider id or name. */
  provider?: string;
  is_active?: boolean;
  search?: string;
  sort_by?: 'popularity' | 'price' | 'name';
  order?: 'asc' | 'desc';
}

export interface ModelPricing {
  credits_cost: number;
  output_credits_cost?: number;
}

export interface AdminConfig {
  /** Model id per kind, or null (llm and asr have no offline default). */
  default_models: Record<ModelKind, string | null>;
  max_concurrency: number;
  /** The global default for a project's cost cap, in credits; null: none. */
  cost_cap: number | null;
}

/** Any subset; `default_models` merges per kind. */
export interface AdminConfigPatch {
  default_models?: Partial<Record<ModelKind, string | null>>;
  max_concurrency?: number;
  cost_cap?: number | null;
}
