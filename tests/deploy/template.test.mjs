// deploy/cloudformation.yaml against the CloudFormation resource
// specification (@aws-cdk/cfnspec, offline): it parses with the short-form
// intrinsic tags, every resource type exists, required properties are
// present and no property is unknown (nested property types included),
// every Ref/GetAtt/Sub/If names something that exists, and the IAM actions
// it grants are exactly those of the policy in docs/deploy-aws.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import YAML from 'yaml';

const require = createRequire(import.meta.url);
const spec = require('@aws-cdk/cfnspec/spec/specification.json');
const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const templatePath = path.join(top, 'deploy/cloudformation.yaml');
const docsPath = path.join(top, 'docs/deploy-aws.md');

// Short-form tags to their long form, as CloudFormation reads them.
const FN = ['And', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'GetAZs',
	'ImportValue', 'If', 'Join', 'Not', 'Or', 'Select', 'Split', 'Sub',
	'Transform'];
function tag(name, long, kinds = ['scalar', 'seq', 'map']) {
	return kinds.map((collection) => ({
		tag: `!${name}`,
		collection: collection === 'scalar' ? undefined : collection,
		resolve: (v) => ({ [long]: v && v.toJSON ? v.toJSON() : v }),
	}));
}
const customTags = [
	...tag('Ref', 'Ref', ['scalar']),
	...tag('Condition', 'Condition', ['scalar']),
	...FN.flatMap((f) => tag(f, `Fn::${f}`)),
	...['scalar', 'seq'].map((collection) => ({
		tag: '!GetAtt',
		collection: collection === 'scalar' ? undefined : collection,
		resolve: (v) => ({
			'Fn::GetAtt': typeof v === 'string'
				? [v.slice(0, v.indexOf('.')), v.slice(v.indexOf('.') + 1)]
				: v.toJSON(),
		}),
	})),
];

function loadTemplate() {
	const doc = YAML.parseDocument(readFileSync(templatePath, 'utf8'),
	    { customTags, uniqueKeys: true });
	assert.deepEqual(doc.errors, [], 'template YAML errors');
	return doc.toJS();
}

const isIntrinsic = (v) => v !== null && typeof v === 'object' &&
	!Array.isArray(v) && Object.keys(v).length === 1 &&
	(Object.keys(v)[0] === 'Ref' || Object.keys(v)[0].startsWith('Fn::'));

// Check value against a property spec; push problems onto errs.
function checkValue(resType, where, pspec, value, errs) {
	if (isIntrinsic(value))
		return;
	if (pspec.PrimitiveType !== undefined) {
		if (value !== null && typeof value === 'object' &&
		    pspec.PrimitiveType !== 'Json')
			errs.push(`${where}: expected ${pspec.PrimitiveType}`);
		return;
	}
	if (pspec.Type === 'List') {
		if (!Array.isArray(value)) {
			errs.push(`${where}: expected a list`);
			return;
		}
		value.forEach((item, i) => {
			if (pspec.ItemType)
				checkObject(resType, `${where}[${i}]`, pspec.ItemType,
				    item, errs);
		});
		return;
	}
	if (pspec.Type === 'Map') {
		if (pspec.ItemType)
			for (const [k, v] of Object.entries(value))
				checkObject(resType, `${where}.${k}`, pspec.ItemType, v,
				    errs);
		return;
	}
	if (pspec.Type)
		checkObject(resType, where, pspec.Type, value, errs);
}

function checkObject(resType, where, typeName, value, errs) {
	if (isIntrinsic(value))
		return;
	const t = spec.PropertyTypes[`${resType}.${typeName}`] ??
	    spec.PropertyTypes[typeName];
	if (t === undefined) {
		errs.push(`${where}: no property type ${typeName}`);
		return;
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		errs.push(`${where}: expected a ${typeName} object`);
		return;
	}
	checkProperties(resType, where, t.Properties ?? {}, value, errs);
}

function checkProperties(resType, where, props, value, errs) {
	for (const [name, p] of Object.entries(props))
		if (p.Required && !(name in value))
			errs.push(`${where}: required property ${name} missing`);
	for (const [name, v] of Object.entries(value)) {
		if (!(name in props)) {
			errs.push(`${where}: unknown property ${name}`);
			continue;
		}
		checkValue(resType, `${where}.${name}`, props[name], v, errs);
	}
}

// Every {Ref}, {Fn::GetAtt}, ${...} in Fn::Sub and Fn::If condition.
function* references(node) {
	if (Array.isArray(node)) {
		for (const n of node)
			yield* references(n);
		return;
	}
	if (node === null || typeof node !== 'object')
		return;
	for (const [k, v] of Object.entries(node)) {
		if (k === 'Ref')
			yield { kind: 'Ref', name: v };
		else if (k === 'Fn::GetAtt')
			yield { kind: 'GetAtt', name: v[0], attr: v[1] };
		else if (k === 'Fn::If')
			yield { kind: 'Condition', name: v[0] };
		else if (k === 'Fn::Sub') {
			const s = Array.isArray(v) ? v[0] : v;
			const vars = Array.isArray(v) ? Object.keys(v[1]) : [];
			for (const m of s.matchAll(/\$\{([^!}][^}]*)\}/g)) {
				if (vars.includes(m[1]))
					continue;
				const [name, attr] = m[1].split('.');
				yield attr ? { kind: 'GetAtt', name, attr }
				    : { kind: 'Ref', name };
			}
		}
		yield* references(v);
	}
}

// The Action set of identity-policy statements (no Principal) in node.
function policyActions(node, out = new Set()) {
	if (Array.isArray(node)) {
		node.forEach((n) => policyActions(n, out));
	} else if (node !== null && typeof node === 'object') {
		if (Array.isArray(node.Statement)) {
			for (const st of node.Statement)
				if (st.Principal === undefined)
					[].concat(st.Action ?? []).forEach((a) => out.add(a));
		}
		for (const [k, v] of Object.entries(node))
			if (k !== 'AssumeRolePolicyDocument')
				policyActions(v, out);
	}
	return out;
}

test('the template parses and has the sections CloudFormation knows', () => {
	const t = loadTemplate();
	assert.equal(t.AWSTemplateFormatVersion, '2010-09-09');
	const known = ['AWSTemplateFormatVersion', 'Description', 'Metadata',
		'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform',
		'Resources', 'Outputs'];
	for (const k of Object.keys(t))
		assert.ok(known.includes(k), `unknown top-level section ${k}`);
	assert.ok(Object.keys(t.Resources).length > 0);
});

test('every resource type exists and its properties match the specification',
    () => {
	const t = loadTemplate();
	const errs = [];
	for (const [name, r] of Object.entries(t.Resources)) {
		const rs = spec.ResourceTypes[r.Type];
		if (rs === undefined) {
			errs.push(`${name}: unknown resource type ${r.Type}`);
			continue;
		}
		checkProperties(r.Type, name, rs.Properties ?? {},
		    r.Properties ?? {}, errs);
	}
	assert.deepEqual(errs, []);
	assert.match(spec.ResourceSpecificationVersion ?? '', /^\d+\.\d+\.\d+$/);
});

test('the template creates what issue 4 asks for', () => {
	const types = Object.values(loadTemplate().Resources).map((r) => r.Type);
	for (const want of ['AWS::DynamoDB::Table', 'AWS::IAM::Role',
		'AWS::ECS::Cluster', 'AWS::ECS::Service', 'AWS::ECS::TaskDefinition',
		'AWS::Logs::LogGroup', 'AWS::CloudFront::Distribution'])
		assert.ok(types.includes(want), `no ${want}`);
	const params = Object.keys(loadTemplate().Parameters);
	assert.ok(params.includes('Image'));
	assert.ok(params.includes('ApiKeyParameterName'));
});

test('the service autoscales: a scalable target, target tracking, at least 2 tasks', () => {
	const t = loadTemplate();
	const byType = (type) => Object.entries(t.Resources)
		.filter(([, r]) => r.Type === type);
	const targets = byType('AWS::ApplicationAutoScaling::ScalableTarget');
	assert.equal(targets.length, 1);
	const [name, target] = targets[0];
	assert.equal(target.Properties.ServiceNamespace, 'ecs');
	assert.equal(target.Properties.ScalableDimension, 'ecs:service:DesiredCount');
	assert.deepEqual(target.Properties.MinCapacity, { Ref: 'MinTasks' });
	assert.ok(t.Parameters.MinTasks.MinValue >= 2 && t.Parameters.MinTasks.Default >= 2,
	    'two tasks, one per Availability Zone, at least');
	assert.ok(JSON.stringify(target.Properties.ResourceId).includes('"Service","Name"'),
	    'the scalable target is the ECS service');
	const policies = byType('AWS::ApplicationAutoScaling::ScalingPolicy');
	const metrics = policies.map(([, p]) => {
		assert.equal(p.Properties.PolicyType, 'TargetTrackingScaling');
		assert.deepEqual(p.Properties.ScalingTargetId, { Ref: name });
		return p.Properties.TargetTrackingScalingPolicyConfiguration
			.PredefinedMetricSpecification.PredefinedMetricType;
	});
	assert.deepEqual(metrics.sort(), ['ALBRequestCountPerTarget',
		'ECSServiceAverageCPUUtilization']);
	// Two Availability Zones: the subnets feed both the service and the ALB.
	assert.deepEqual(t.Resources.Service.Properties.NetworkConfiguration
		.AwsvpcConfiguration.Subnets, { Ref: 'SubnetIds' });
});

test('every reference names a parameter, resource, attribute or condition',
    () => {
	const t = loadTemplate();
	const pseudo = ['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue',
		'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName',
		'AWS::URLSuffix'];
	const errs = [];
	for (const ref of references([t.Resources, t.Outputs, t.Conditions])) {
		if (ref.kind === 'Ref') {
			if (!pseudo.includes(ref.name) && !(ref.name in t.Parameters) &&
			    !(ref.name in t.Resources))
				errs.push(`Ref ${ref.name}`);
		} else if (ref.kind === 'Condition') {
			if (!(ref.name in (t.Conditions ?? {})))
				errs.push(`condition ${ref.name}`);
		} else {
			const r = t.Resources[ref.name];
			const attrs = r && spec.ResourceTypes[r.Type]?.Attributes;
			if (!attrs || !(ref.attr in attrs))
				errs.push(`GetAtt ${ref.name}.${ref.attr}`);
		}
	}
	assert.deepEqual(errs, []);
});

test('the IAM actions granted equal the policy in docs/deploy-aws.md', () => {
	const t = loadTemplate();
	const granted = policyActions(t.Resources.TaskRole);
	const md = readFileSync(docsPath, 'utf8');
	const documented = new Set();
	for (const m of md.matchAll(/```json\n([\s\S]*?)```/g)) {
		let doc;
		try {
			doc = JSON.parse(m[1]);
		} catch {
			continue;
		}
		policyActions(doc, documented);
	}
	assert.deepEqual([...granted].sort(), [
		'dynamodb:DeleteItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem',
		'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem',
		'kms:Decrypt', 'ssm:GetParameter']);
	assert.deepEqual([...documented].sort(), [...granted].sort());
});

test('the execution role reads only the origin secret, beside the managed policy', () => {
	const t = loadTemplate();
	const role = t.Resources.ExecutionRole.Properties;
	assert.deepEqual([...policyActions(role.Policies)], ['secretsmanager:GetSecretValue']);
	for (const p of role.Policies)
		for (const st of p.PolicyDocument.Statement)
			assert.deepEqual(st.Resource, { Ref: 'OriginSecret' });
});

test('the origin guard: one generated secret, on the CloudFront origin, the listener rule and the task', () => {
	const t = loadTemplate();
	assert.equal(t.Resources.OriginSecret.Type, 'AWS::SecretsManager::Secret');
	assert.equal(t.Parameters.OriginVerifySecret, undefined, 'no secret as a parameter');
	const resolve = { 'Fn::Sub': '{{resolve:secretsmanager:${OriginSecret}:SecretString}}' };
	const origin = t.Resources.Distribution.Properties.DistributionConfig.Origins[0];
	assert.deepEqual(origin.OriginCustomHeaders,
	    [{ HeaderName: 'X-Origin-Verify', HeaderValue: resolve }]);
	const rule = t.Resources.ListenerRule.Properties.Conditions
	    .find((c) => c.Field === 'http-header');
	assert.equal(rule.HttpHeaderConfig.HttpHeaderName, 'X-Origin-Verify');
	assert.deepEqual(rule.HttpHeaderConfig.Values, [resolve]);
	const c = t.Resources.TaskDefinition.Properties.ContainerDefinitions[0];
	assert.deepEqual(c.Secrets, [{ Name: 'VISITSD_ORIGIN_VERIFY', ValueFrom: { Ref: 'OriginSecret' } }]);
	const env = Object.fromEntries(c.Environment.map((e) => [e.Name, e.Value]));
	assert.equal(env.VISITSD_CLIENT_ADDRESS_HEADER, 'cloudfront-viewer-address');
	assert.deepEqual(env.VISITSD_TRUSTED_PROXIES, { Ref: 'TrustedProxies' });
	// The client address the limiter keys on reaches the origin.
	const headers = t.Resources.OriginRequestPolicy.Properties
	    .OriginRequestPolicyConfig.HeadersConfig.Headers;
	assert.ok(headers.includes('CloudFront-Viewer-Address'));
	// HTTPS to the origin whenever a certificate is given.
	assert.deepEqual(origin.CustomOriginConfig.OriginProtocolPolicy,
	    { 'Fn::If': ['OriginTls', 'https-only', 'http-only'] });
});

test('the task role is scoped to resources, never "*"', () => {
	const t = loadTemplate();
	for (const [name, r] of Object.entries(t.Resources)) {
		if (r.Type !== 'AWS::IAM::Role')
			continue;
		for (const p of r.Properties.Policies ?? [])
			for (const st of p.PolicyDocument.Statement) {
				assert.equal(st.Effect, 'Allow');
				assert.notEqual(st.Resource, '*', `${name} ${st.Sid}`);
				assert.ok(!String(st.Action).includes('*'),
				    `${name} ${st.Sid} has a wildcard action`);
			}
	}
});
