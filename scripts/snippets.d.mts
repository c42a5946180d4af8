export function region(source: string, name: string | undefined): string;
export function snippets(readme: string): { path: string; name: string | undefined; text: string }[];
export function syncSnippets(readme: string, read: (path: string) => string): string;
