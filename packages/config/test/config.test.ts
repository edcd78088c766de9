import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@platform/config';
import { describe, expect, it } from 'vitest';

const tempDir = () => mkdtempSync(join(tmpdir(), 'platform-config-'));

describe('configuration', () => {
  it('defaults to embedded mode on port 3000 with ./data', () => {
    const dir = tempDir();
    const c = loadConfig({ DATA_DIR: dir });
    expect(c).toMatchObject({
      PORT: 3000,
      embedded: true,
      NODE_ENV: 'development',
      PUBLIC_URL: 'http://localhost:3000',
    });
    expect(loadConfig({}).DATA_DIR).toBe('./data');
  });

  it('generates the embedded secret once, keeps it private in DATA_DIR, and reuses it', () => {
    const dir = tempDir();
    const first = loadConfig({ DATA_DIR: dir }).AUTH_SECRET;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ DATA_DIR: dir }).AUTH_SECRET).toBe(first);
    expect(readFileSync(join(dir, 'auth-secret'), 'utf8')).toBe(first);
    expect(statSync(join(dir, 'auth-secret')).mode & 0o077).toBe(0);
  });

  it('lists every bad variable and why, in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'not a url',
        LOG_LEVEL: 'loud',
        NODE_ENV: 'production',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'REDIS_URL',
      'LOG_LEVEL',
      'AUTH_SECRET',
      'PUBLIC_URL',
    ])
      expect(problems).toContain(name);
    expect((error as Error).message).toMatch(/^Invalid configuration:/);
  });

  it('requires a real secret and public URL in production', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://ai.example.com' }),
    ).toThrow(/AUTH_SECRET: is required/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        PUBLIC_URL: 'https://ai.example.com',
        AUTH_SECRET: 'short',
      }),
    ).toThrow(/AUTH_SECRET: must be at least 32 characters/);
    const c = loadConfig({
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://ai.example.com',
      AUTH_SECRET: 'k'.repeat(40),
      DATABASE_URL: 'postgres://app@db:6432/platform',
    });
    expect(c.embedded).toBe(false);
  });

  it("needs the chosen embedding provider's key, and reads the knowledge settings", () => {
    const dir = tempDir();
    expect(() => loadConfig({ DATA_DIR: dir, EMBEDDING_PROVIDER: 'voyage' })).toThrow(
      /VOYAGE_API_KEY: is required when EMBEDDING_PROVIDER=voyage/,
    );
    expect(() => loadConfig({ DATA_DIR: dir, EMBEDDING_PROVIDER: 'openai' })).toThrow(
      /OPENAI_API_KEY: is required/,
    );
    expect(() => loadConfig({ DATA_DIR: dir, EMBEDDING_PROVIDER: 'cohere' })).toThrow(
      /EMBEDDING_PROVIDER/,
    );
    const c = loadConfig({
      DATA_DIR: dir,
      KNOWLEDGE_MAX_UPLOAD_MB: '10',
      EMBEDDING_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-x',
    });
    expect(c).toMatchObject({
      KNOWLEDGE_MAX_UPLOAD_MB: 10,
      EMBEDDING_PROVIDER: 'openai',
      INGEST_TENANT_CONCURRENCY: 1,
    });
  });

  it('reads the model tiers as provider:model chains, and refuses anything else by name', () => {
    const dir = tempDir();
    const c = loadConfig({ DATA_DIR: dir });
    expect(c).toMatchObject({
      AI_TIER1_MODELS: 'openai:gpt-4o-mini',
      AI_TIER2_MODELS: 'openai:gpt-4o',
      AI_TIER3_MODELS: 'anthropic:claude-sonnet-4-5',
      ANSWER_CACHE_MIN_SIMILARITY: 0.9,
    });
    const chained = loadConfig({
      DATA_DIR: dir,
      AI_TIER2_MODELS: 'compatible:llama3.1:70b, openai:gpt-4o',
      COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1',
    });
    expect(chained.AI_TIER2_MODELS).toBe('compatible:llama3.1:70b, openai:gpt-4o');
    expect(() => loadConfig({ DATA_DIR: dir, AI_TIER1_MODELS: 'gpt-4o-mini' })).toThrow(
      /AI_TIER1_MODELS: must be a comma-separated list of provider:model/,
    );
    expect(() => loadConfig({ DATA_DIR: dir, AI_TIER3_MODELS: 'mistral:large' })).toThrow(
      /AI_TIER3_MODELS/,
    );
    expect(() => loadConfig({ DATA_DIR: dir, PROVIDER_KEYS_SECRET: 'short' })).toThrow(
      /PROVIDER_KEYS_SECRET: must be at least 32 characters/,
    );
  });

  it('seeds the demo by default only in embedded mode, and reads DEMO_SEED as a boolean', () => {
    const dir = tempDir();
    expect(loadConfig({ DATA_DIR: dir }).DEMO_SEED).toBe(true);
    const pg = { DATA_DIR: dir, DATABASE_URL: 'postgres://app@db:5432/platform' };
    expect(loadConfig(pg).DEMO_SEED).toBe(false);
    expect(loadConfig({ ...pg, DEMO_SEED: 'true' }).DEMO_SEED).toBe(true);
    expect(loadConfig({ DATA_DIR: dir, DEMO_SEED: 'false' }).DEMO_SEED).toBe(false);
    expect(loadConfig({ DATA_DIR: dir, DEMO_SEED: ' Off ' }).DEMO_SEED).toBe(false);
    expect(loadConfig({ DATA_DIR: dir, DEMO_SEED: '' }).DEMO_SEED).toBe(true);
    expect(() => loadConfig({ DATA_DIR: dir, DEMO_SEED: 'maybe' })).toThrow(
      /DEMO_SEED: must be true or false/,
    );
  });
});
