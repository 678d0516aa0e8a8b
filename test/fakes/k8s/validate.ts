/**
 * Validation of every object the fake API server receives and every object `llmbench render` prints:
 * kubernetes-models for core kinds (types, required fields), an unknown-field walk over @kubernetes/client-node's
 * generated type maps (kubernetes-models lets a typo like `imagePullPolisy` through), and the published CRD
 * schemas in test/fixtures/specs (ManifestWork, ManifestWorkReplicaSet, Placement, Route, SCC) with ajv plus the
 * pruning rule the API server applies to structural schemas (unknown fields are dropped — for us, an error).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import * as k8s from '@kubernetes/client-node';
import {
  Namespace,
  ServiceAccount,
  ConfigMap,
  PersistentVolumeClaim,
  Service,
  Pod,
  Node,
  Event,
} from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { SPECS_DIR } from '../../specs-dir.js';

export { SPECS_DIR };

type Model = new (data: unknown) => { validate(): void };
const CORE: Record<string, { model: Model; clientType: string }> = {
  'v1/Namespace': { model: Namespace as unknown as Model, clientType: 'V1Namespace' },
  'v1/ServiceAccount': { model: ServiceAccount as unknown as Model, clientType: 'V1ServiceAccount' },
  'v1/ConfigMap': { model: ConfigMap as unknown as Model, clientType: 'V1ConfigMap' },
  'v1/PersistentVolumeClaim': {
    model: PersistentVolumeClaim as unknown as Model,
    clientType: 'V1PersistentVolumeClaim',
  },
  'v1/Service': { model: Service as unknown as Model, clientType: 'V1Service' },
  'v1/Pod': { model: Pod as unknown as Model, clientType: 'V1Pod' },
  'v1/Node': { model: Node as unknown as Model, clientType: 'V1Node' },
  'v1/Event': { model: Event as unknown as Model, clientType: 'CoreV1Event' },
  'apps/v1/Deployment': { model: Deployment as unknown as Model, clientType: 'V1Deployment' },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy as unknown as Model, clientType: 'V1NetworkPolicy' },
  'rbac.authorization.k8s.io/v1/Role': { model: Role as unknown as Model, clientType: 'V1Role' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: RoleBinding as unknown as Model, clientType: 'V1RoleBinding' },
};

const CRD_FILES: Record<string, string> = {
  'work.open-cluster-management.io/v1/ManifestWork': 'ocm-work-v1-manifestworks.crd.yaml',
  'work.open-cluster-management.io/v1alpha1/ManifestWorkReplicaSet':
    'ocm-work-v1alpha1-manifestworkreplicasets.crd.yaml',
  'cluster.open-cluster-management.io/v1beta1/Placement': 'ocm-cluster-v1beta1-placements.crd.yaml',
  'route.openshift.io/v1/Route': 'openshift-route-v1-routes.crd.yaml',
  'security.openshift.io/v1/SecurityContextConstraints': 'openshift-security-v1-securitycontextconstraints.crd.yaml',
};

export const isKnownKind = (apiVersion: string, kind: string) =>
  `${apiVersion}/${kind}` in CORE || `${apiVersion}/${kind}` in CRD_FILES;

type AttrMap = { name: string; baseName: string; type: string }[];
const models = k8s as unknown as Record<string, { getAttributeTypeMap?: () => AttrMap }>;

/** Unknown fields against client-node's generated type maps (the Kubernetes OpenAPI, field by field). */
function unknownFields(value: unknown, type: string, at: string, out: string[]): void {
  if (value === null || value === undefined) return;
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, arr[1], `${at}/${i}`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object')
      for (const [k, v] of Object.entries(value as object)) unknownFields(v, map[1], `${at}/${k}`, out);
    return;
  }
  const attrs = models[type]?.getAttributeTypeMap?.();
  if (!attrs || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const a = attrs.find((x) => x.baseName === k);
    if (!a) out.push(`${at}/${k}: unknown field (not in ${type})`);
    else unknownFields(v, a.type, `${at}/${k}`, out);
  }
}

let ajv: Ajv | undefined;
const crdValidators = new Map<string, { validate: ValidateFunction; schema: Record<string, unknown> }>();

function crdValidator(key: string) {
  let v = crdValidators.get(key);
  if (v) return v;
  const file = path.join(SPECS_DIR, CRD_FILES[key]);
  if (!existsSync(file))
    throw new Error(`CRD schema ${file} is missing (vendored under test/fixtures/specs; LLMBENCH_SPECS_DIR overrides)`);
  const crd = yaml.load(readFileSync(file, 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] };
  };
  const version = key.split('/').slice(-2)[0];
  const ver = crd.spec.versions.find((x) => x.name === version);
  if (!ver) throw new Error(`${file} has no version ${version}`);
  if (!ajv) {
    // strict:false: x-kubernetes-* and OpenAPI's `nullable` are not JSON Schema keywords; they are handled below.
    // useDefaults: the API server defaults before it validates (the Route schema relies on it).
    ajv = new Ajv({
      strict: false,
      allErrors: true,
      useDefaults: true,
      formats: { int32: true, int64: true, byte: true, double: true, float: true },
    });
    (addFormatsModule as unknown as { default: (a: Ajv) => void }).default(ajv);
  }
  const schema = dropNullKeywords(ver.schema.openAPIV3Schema) as Record<string, unknown>;
  v = { validate: ajv.compile(schema), schema };
  crdValidators.set(key, v);
  return v;
}

/** Generated CRDs carry `anyOf: null` (openshift/api's int-or-string); the API server ignores it, ajv must too. */
function dropNullKeywords(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(dropNullKeywords);
  if (!s || typeof s !== 'object') return s;
  return Object.fromEntries(
    Object.entries(s as Record<string, unknown>)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, dropNullKeywords(v)]),
  );
}

/** The API server prunes fields a structural schema does not declare; a typo would vanish silently. */
function prunedFields(value: unknown, schema: Record<string, unknown> | undefined, at: string, out: string[]): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (schema['x-kubernetes-preserve-unknown-fields'] === true || schema['x-kubernetes-embedded-resource'] === true)
    return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => prunedFields(v, schema.items as Record<string, unknown>, `${at}/${i}`, out));
    return;
  }
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  const addl = schema.additionalProperties;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (props && props[k]) prunedFields(v, props[k], `${at}/${k}`, out);
    else if (addl && typeof addl === 'object') prunedFields(v, addl as Record<string, unknown>, `${at}/${k}`, out);
    else if (props || addl === false) out.push(`${at}/${k}: unknown field (would be pruned)`);
  }
}

/** Every problem with one object (and the objects a ManifestWork or ManifestWorkReplicaSet embeds). */
export function validateObject(obj: unknown, at = ''): string[] {
  const out: string[] = [];
  if (!obj || typeof obj !== 'object') return [`${at || '/'}: not an object`];
  const o = obj as {
    apiVersion?: string;
    kind?: string;
    metadata?: Record<string, unknown>;
    spec?: Record<string, unknown>;
  };
  if (!o.apiVersion || !o.kind) return [`${at || '/'}: apiVersion and kind are required`];
  const key = `${o.apiVersion}/${o.kind}`;
  if (!o.metadata || typeof o.metadata.name !== 'string' || !o.metadata.name)
    out.push(`${at}/metadata/name: is required`);
  const core = CORE[key];
  if (core) {
    try {
      new core.model(obj).validate();
    } catch (e) {
      const errs = (e as { errors?: { instancePath: string; message?: string }[] }).errors;
      if (errs?.length) for (const x of errs) out.push(`${at}${x.instancePath}: ${x.message}`);
      else out.push(`${at}: ${(e as Error).message}`);
    }
    unknownFields(obj, core.clientType, at, out);
    return out;
  }
  if (!CRD_FILES[key]) return [`${at || '/'}: kind ${key} is not one the fake knows (and llmbench never renders)`];
  const { validate, schema } = crdValidator(key);
  const defaulted = structuredClone(obj);
  validate(defaulted); // first pass only fills defaults (ajv may check allOf before it defaults properties)
  if (!validate(defaulted)) for (const x of validate.errors ?? []) out.push(`${at}${x.instancePath}: ${x.message}`);
  const { metadata, ...rest } = obj as Record<string, unknown>;
  unknownFields(metadata, 'V1ObjectMeta', `${at}/metadata`, out);
  prunedFields(rest, schema, at, out);
  const manifests =
    (o.kind === 'ManifestWork'
      ? (o.spec?.workload as { manifests?: unknown[] })?.manifests
      : o.kind === 'ManifestWorkReplicaSet'
        ? (o.spec?.manifestWorkTemplate as { workload?: { manifests?: unknown[] } })?.workload?.manifests
        : undefined) ?? [];
  const base =
    o.kind === 'ManifestWork' ? `${at}/spec/workload/manifests` : `${at}/spec/manifestWorkTemplate/workload/manifests`;
  manifests.forEach((m, i) => out.push(...validateObject(m, `${base}/${i}`)));
  return out;
}
