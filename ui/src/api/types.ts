import type { components } from './schema.gen';

/**
 * The API's types. Most are the generated schemas of `ui/openapi.json` (`npm run gen:api` writes
 * `schema.gen.ts`); the rest are narrower than the document where the UI relies on a union the
 * document only types as a string (each says so), or are not in the document at all.
 */
type Schemas = components['schemas'];

export const ASPECT_RATIOS = ['9:16', '16:9', '1:1'] as const;
export type AspectRatio = Schemas['AspectRatio'];

export const PROJECT_STATUSES = ['draft', 'in_progress', 'completed'] as const;
export type ProjectStatus = Schemas['ProjectStatus'];

export type Project = Schemas['Project'];

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  limit: number;
  totalPages: number;
}

export type NewProject = Schemas['NewProject'];

export type ProjectPatch = Partial<
  Pick<Project, 'name' | 'description' | 'aspect_ratio' | 'status' | 'style' | 'script'>
> & {
  /** Credits; null clears the project's cap. */
  cost_cap?: number | null;
};

export type DeletedProject = Schemas['DeletedProject'];

export type Health = Schemas['Health'];

/* ---------- editor (docs/API-EDITOR.md) ---------- */

export type Version = Schemas['Version'];

/**
 * Hand-written: the document marks `metadata` required, but the server defaults it (every caller
 * here leaves it out).
 */
export interface NewVersion {
  from_version_id?: string;
  note?: string;
  metadata?: unknown;
  make_current?: boolean;
}

/* The parser's output (src/script/mod.rs `Breakdown`). */
export type BreakdownMetadataEntry = Schemas['MetadataEntry'];

export type BreakdownEpisode = Schemas['Episode'];

export type IntExt = Schemas['IntExt'];

export type BreakdownScene = Schemas['ParsedScene'];

export type ShotKind = Schemas['ShotKind'];

export type DialogueLine = Schemas['DialogueLine'];

export type BreakdownShot = Schemas['ParsedShot'];

export type CharacterSummary = Schemas['CharacterSummary'];

export type BreakdownNote = Schemas['Note'];

export type Breakdown = Schemas['Breakdown'];

export type ScriptDocument = Schemas['ScriptView'];

export type ParseResult = Schemas['ParseResult'];

export type ScriptUpload = Schemas['ScriptUpload'];

export type Sample = Schemas['Sample'];

/** Narrowed: the document types `int_ext` as a plain string; the server sends only these values. */
export type Scene = Omit<Schemas['Scene'], 'int_ext'> & { int_ext?: IntExt | null };

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

export type ShotStatus = Schemas['ShotStatus'];

/** Narrowed: the document types `kind`, `shot_type`, `camera_move` and `source` as a plain string; the server sends only these values. */
export type Shot = Omit<Schemas['Shot'], 'kind' | 'shot_type' | 'camera_move' | 'source'> & {
  kind: ShotKind;
  shot_type?: ShotType | null;
  camera_move?: CameraMove | null;
  source: 'parser' | 'manual';
};

/**
 * Absent fields stay; an empty `shot_type` / `camera_move` clears it.
 * Hand-written: the document types `shot_type` and `camera_move` as plain strings and lets every
 * field be null; the editor never sends null and spreads a patch over a `Shot` for its optimistic view.
 */
export interface ShotPatch {
  description?: string;
  dialogue?: DialogueLine[];
  character_ids?: string[];
  shot_type?: ShotType | '';
  camera_move?: CameraMove | '';
  duration?: number;
  /** Along the server's table (lib/states.ts): an approved shot only to `completed` (unlocked). */
  status?: ShotStatus;
}

/** Narrowed: the document types `shot_type` and `camera_move` as plain strings. */
export type NewShot = Omit<Schemas['NewShot'], 'shot_type' | 'camera_move'> & { shot_type?: ShotType; camera_move?: CameraMove };

/** Exactly one of the two; `after_id: null` puts the shot first. */
export type MoveTarget = { after_id: string | null } | { before_id: string | null };

export type SplitAt = { at_line: number } | { at_char: number } | Record<string, never>;

/** The generated `SceneWithShots`, with the narrowed `Scene` and `Shot`. */
export type StoryboardScene = Scene & { shots: Shot[] };

export type Storyboard = Omit<Schemas['StoryboardView'], 'scenes'> & { scenes: StoryboardScene[] };

export type DeletedShot = Schemas['DeletedShot'];

export type CharacterStatus = Schemas['CharacterStatus'];

export type Character = Schemas['Character'];

export type NewCharacter = Schemas['NewCharacter'];

export type CharacterPatch = Schemas['CharacterPatch'];

export type VoiceGender = Schemas['Gender'];

/** One voice a TTS model offers (`GET /voices`). */
export type VoiceInfo = Schemas['VoiceInfo'];

export type VoiceList = Schemas['VoiceList'];

/** Which built-in voice a character's voice stands for (`GET /voices/match`). */
export type VoiceMatch = Schemas['VoiceMatch'];

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
export type AssetType = Schemas['AssetType'];
export type AssetStatus = Schemas['AssetStatus'];

export type Asset = Schemas['Asset'];

/* ---------- workflows (docs/API-WORKFLOWS.md) ---------- */

export type GraphNode = Schemas['NodeSpec'];

/** `from`/`to` are `"<node id>.<port>"`. */
export type GraphEdge = Schemas['Edge'];

export type WorkflowGraph = Schemas['Graph'];

export type TemplateVersion = Schemas['TemplateVersion'];

export type WorkflowTemplate = Schemas['Template'];

export const BUILTIN_TEMPLATES = ['animatic', 'full_production'] as const;

export type RunStatus = Schemas['RunStatus'];
export const RUN_STATUSES = ['queued', 'running', 'paused', 'waiting_review', 'completed', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];

/** A node run's status (a run's step). */
export type StepStatus = Schemas['NodeRunStatus'];
export const STEP_STATUSES = ['pending', 'running', 'waiting', 'completed', 'failed', 'cancelled'] as const satisfies readonly StepStatus[];

export type Step = Schemas['Step'];

export type Run = Schemas['Run'];

export type StartRunInput = Schemas['StartRun'];

/** Answer of pause/resume/cancel/retry. */
export type RunAction = Schemas['RunAction'];

export type ReviewDecision = Schemas['Decision'];

export type ReviewItem = Schemas['ReviewItem'];

export type ReviewRejection = Schemas['Rejection'];

export type ReviewRedraw = Schemas['Redraw'];

export type ReviewQueue = Schemas['ReviewQueue'];

export type DecisionInput = Schemas['DecisionInput'];

/** What a run progress event reports: a node's or the run's new state, or the driver's. */
export type RunEventStatus = Schemas['RunEventStatus'];

/** One `event: progress` payload of the run's SSE stream (and the Tauri event `run-progress`). */
export type ProgressUpdate = Schemas['RunEvent'];

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

export type ExportStatus = Schemas['ExportStatus'];

/** A credit hold's status (docs/API-LEDGER.md). */
export type HoldStatus = Schemas['HoldStatus'];
export const EXPORT_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const satisfies readonly ExportStatus[];

/**
 * The body of `POST /export/estimate` and `POST /export`; absent fields take the server's defaults.
 * Hand-written: the document types the settings as plain strings, and `include_subtitles` as a
 * string although the server also takes a boolean.
 */
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

/** `POST /export/preview`: the storyboard as it stands, one encoded frame per shot. Hand-written: the document has no named schema for this body. */
export interface ExportPreviewRequest {
  project_id: string;
  version_id?: string;
  speaker_names?: boolean;
}

/** Narrowed: the document types `aspect_ratio` as a plain string; the server sends only these values. */
export type ExportPreview = Omit<Schemas['Preview'], 'aspect_ratio'> & { aspect_ratio: AspectRatio };

/** Narrowed: the document types `resolution`, `aspect_ratio` and `format` as a plain string; the server sends only these values. */
export type ExportEstimate = Omit<Schemas['Estimate'], 'resolution' | 'aspect_ratio' | 'format'> & {
  resolution: ExportResolution;
  aspect_ratio: AspectRatio;
  format: ExportFormat;
};

/** Narrowed: the document types `resolution`, `aspect_ratio`, `format`, `include_subtitles` and `transition` as a plain string; the server sends only these values. */
export type Export = Omit<
  Schemas['Export'],
  'resolution' | 'aspect_ratio' | 'format' | 'include_subtitles' | 'transition'
> & {
  resolution: ExportResolution;
  aspect_ratio: AspectRatio;
  format: ExportFormat;
  include_subtitles: ExportSubtitles;
  transition: ExportTransition;
};

/** One `event: progress` payload of `GET /export/{id}/events` (and the Tauri event `export-progress`). */
export type ExportEvent = Schemas['ExportEvent'];

/* ---------- share links (docs/API-SHARES.md; team server only) ---------- */

/** Where a link stands, computed by the server from its row and the clock. */
export type ShareStatus = Schemas['ShareStatus'];
export const SHARE_STATUSES = ['active', 'expired', 'revoked'] as const satisfies readonly ShareStatus[];

/** A share link as its owner sees it (`POST /share`, `GET /share`, `GET /share/{id}`, `DELETE /share/{id}`). */
export type Share = Schemas['Share'];

/** `POST /share`; absent fields take the server's defaults. */
export type NewShare = Schemas['NewShare'];

/* ---------- providers and models (docs/API-PROVIDERS.md) ---------- */

export const MODEL_KINDS = ['llm', 'image', 'video', 'tts', 'asr', 'embedding'] as const;
/** The kinds the studio's runs use, each with an instance default (embeddings serve the model router only). */
export const STUDIO_MODEL_KINDS = ['llm', 'image', 'video', 'tts', 'asr'] as const;
export type StudioModelKind = (typeof STUDIO_MODEL_KINDS)[number];
export type ModelKind = Schemas['ModelKind'];

export const ADAPTERS = ['builtin', 'openai_compatible', 'dashscope', 'comfyui'] as const;
export type Adapter = Schemas['AdapterKind'];

/** The unit a model's price is per; it follows the kind (llm `1k_tokens`, image `image`, …). */
export type PriceUnit = Schemas['PriceUnit'];

export type Provider = Schemas['Provider'];

export type NewProvider = Schemas['NewProvider'];

/** Any of NewProvider's fields; `api_key: ""` clears the secret. */
export type ProviderPatch = Schemas['ProviderPatch'];

/** The answer of `POST /admin/providers/{id}/test`: a real minimal call. */
export type ProviderTestResult = Schemas['ProviderTest'];

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

/** Narrowed: the document types `config` as any JSON object. */
export type Model = Omit<Schemas['Model'], 'config'> & { config: ModelConfig | null };

export type NewModel = Schemas['NewModel'];

export type ModelPatch = Schemas['ModelPatch'];

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

export type AdminConfig = Schemas['AiConfig'];

/** Any subset; `default_models` merges per kind. */
export type AdminConfigPatch = Schemas['ConfigPatch'];

/* ---------- payments (docs/API-PAYMENTS.md) ---------- */

/** Where an order is paid. */
export type Gateway = Schemas['Gateway'];
export const GATEWAYS = ['alipay', 'wechat', 'stripe', 'sandbox'] as const satisfies readonly Gateway[];

/** What an order buys. */
export type OrderKind = Schemas['OrderKind'];

export type Order = Schemas['Order'];

export type OrderStatus = Order['status'];
export const ORDER_STATUSES = ['pending', 'paid', 'expired', 'failed', 'refunded'] as const satisfies readonly OrderStatus[];

/** A new order and where to pay it (`POST /credit/recharge`, `POST /credit/membership` with a gateway). */
export type OrderCreated = Schemas['OrderCreated'];

/** A credit pack or a membership of `GET /payments/plans`. */
export type PaymentPlan = Schemas['PaymentPlan'];

export const MEMBERSHIP_TYPES = ['monthly', 'quarterly', 'yearly'] as const;
export type MembershipType = (typeof MEMBERSHIP_TYPES)[number];

/** Narrowed: the document types `payment_method` as a plain string; an order is paid at a gateway. `coupon_code`: one of the wallet's coupons (or any code). */
export type RechargeRequest = { amount_cents: number; payment_method: Gateway; coupon_code?: string };

/** Narrowed: the document types both as plain strings (`balance` pays with credits, not built here). */
export type MembershipRequest = { membership_type: MembershipType; payment_method: Gateway };

/** Narrowed: the document types `payment_method` and `status` as plain strings. */
export type SandboxCallback = Omit<Schemas['SandboxCallback'], 'payment_method' | 'status'> & {
  payment_method: 'sandbox';
  status: 'success' | 'failed';
};

/** Narrowed: the document types `result` as a plain string. */
export type SandboxAnswer = Omit<Schemas['CallbackAnswer'], 'result'> & { result: 'credited' | 'already_done' | 'recorded' };

export type GatewayInfo = Schemas['GatewayInfo'];

/* ---------- operations: coupons (docs/API-PAYMENTS.md "Coupons") ---------- */

/** `discount` (value: percent off), `deduction` (value: cents off) or `credit_bonus` (value: credits more). */
export type CouponKind = Schemas['CouponKind'];
export const COUPON_KINDS = ['discount', 'deduction', 'credit_bonus'] as const satisfies readonly CouponKind[];

export type Coupon = Schemas['Coupon'];

/** Where a claimed coupon stands: in the wallet, held by an open order, or spent. */
export type CouponClaimStatus = 'unused' | 'reserved' | 'used';
export const COUPON_CLAIM_STATUSES = ['unused', 'reserved', 'used'] as const satisfies readonly CouponClaimStatus[];

/** Narrowed: the document types `claim_status` as a plain string. */
export type MyCoupon = Omit<Schemas['MyCoupon'], 'claim_status'> & { claim_status: CouponClaimStatus };

/** `POST /operation/coupons`: amounts in yuan, `value` in percent, yuan or credits by `type`. */
export type NewCoupon = Schemas['NewCoupon'];
