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
  created_at: string;
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
>;

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
