#!/usr/bin/env python3
"""Writes the management API's OpenAPI document, Sources/WLHTTP/Resources/manage.yaml (openapi/manage.yaml links to
it): its own paths and schemas here, and the shapes it shares with the public API (payments, ledger, messages, opt-outs,
deliveries, the error envelope) copied from communication.yaml, so the two never drift. manage_api_check.py checks the
file is what this makes.

Usage: manage_openapi.py [TARGET]  (needs PyYAML: the .venv of the contract checks has it)
"""
import copy
import os
import sys

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
src = yaml.safe_load(open(os.path.join(ROOT, 'Sources/WLHTTP/Resources/communication.yaml')))
S = src['components']['schemas']

def collect(name, out):
    if name in out: return
    out[name] = copy.deepcopy(S[name])
    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == '$ref' and isinstance(v, str) and v.startswith('#/components/schemas/'):
                    collect(v.split('/')[-1], out)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node: walk(v)
    walk(out[name])

shared = {}
for n in ['Error', 'Credits', 'KES', 'PurchaseRequest', 'PaymentEnvelope', 'TransactionListEnvelope', 'Transaction',
          'SmsMessageListEnvelope', 'EmailMessageListEnvelope', 'SmsMessage', 'EmailMessage', 'OptOutListEnvelope',
          'DeliveryEnvelope', 'DeliveryListEnvelope', 'WebhookTestEnvelope']:
    collect(n, shared)

def ref(n): return {'$ref': f'#/components/schemas/{n}'}
def env(data_schema, msg=False):
    s = {'type': 'object', 'required': ['status', 'data'], 'properties': {'status': {'type': 'string', 'const': 'success'}, 'data': data_schema}}
    s['properties']['message'] = {'type': 'string'}
    return s
nullable_str = {'type': ['string', 'null']}
own = {
  'User': {'type': 'object', 'required': ['id', 'email', 'role', 'firm_id'], 'properties': {
      'id': {'type': 'integer'}, 'email': {'type': 'string', 'format': 'email'},
      'role': {'type': 'string', 'enum': ['owner', 'developer', 'admin']},
      'firm_id': {'type': ['integer', 'null'], 'description': '`null` for a platform admin.'}}},
  'InvitedUser': {'type': 'object', 'required': ['id', 'email', 'role', 'firm_id', 'invitation_pending'], 'properties': {
      'id': {'type': 'integer'}, 'email': {'type': 'string'}, 'role': {'type': 'string', 'enum': ['owner', 'developer']},
      'firm_id': {'type': ['integer', 'null']}, 'invitation_pending': {'type': 'boolean', 'description': 'Invited, no password chosen yet.'},
      'invite_url': {'type': 'string', 'description': 'Only in the answer that made the invitation: the link to send (72 hours, once).'}}},
  'Session': {'type': 'object', 'required': ['token', 'expires_at', 'user'], 'properties': {
      'token': {'type': 'string', 'minLength': 43, 'maxLength': 43, 'description': 'The bearer token, shown once.'},
      'expires_at': {'type': 'string', 'format': 'date-time'}, 'user': ref('User')}},
  'Firm': {'type': 'object', 'required': ['id', 'slug', 'name', 'status', 'mode', 'balance', 'sms_rate', 'timezone', 'created_at',
      'subscription_expires_at', 'sender_id_transactional', 'sender_id_promotional'], 'properties': {
      'id': {'type': 'integer'}, 'slug': {'type': 'string'}, 'name': {'type': 'string'},
      'status': {'type': 'string', 'enum': ['active', 'suspended']}, 'mode': {'type': 'string', 'enum': ['live', 'sandbox']},
      'balance': ref('Credits'), 'sms_rate': ref('KES'), 'timezone': {'type': 'string'},
      'created_at': {'type': 'string'}, 'subscription_expires_at': nullable_str,
      'sender_id_transactional': nullable_str, 'sender_id_promotional': nullable_str}},
  'Key': {'type': 'object', 'required': ['id', 'prefix', 'label', 'created_at', 'last_used_at', 'revoked_at'], 'properties': {
      'id': {'type': 'integer'}, 'prefix': {'type': 'string', 'description': 'The first 12 characters, to tell keys apart.'},
      'label': {'type': 'string'}, 'key': {'type': 'string', 'description': 'The whole key: only in the answer that made it.'},
      'created_at': {'type': 'string'}, 'last_used_at': nullable_str, 'revoked_at': nullable_str}},
  'Webhook': {'type': 'object', 'required': ['url', 'has_secret', 'disabled_at', 'disabled_reason'], 'properties': {
      'url': {'type': 'string'}, 'has_secret': {'type': 'boolean'}, 'disabled_at': nullable_str, 'disabled_reason': nullable_str}},
  'Audit': {'type': 'object', 'required': ['id', 'at', 'actor', 'actor_role', 'firm_id', 'action', 'detail', 'client_address', 'request_id'],
      'properties': {'id': {'type': 'integer'}, 'at': {'type': 'string'}, 'actor': {'type': 'string'}, 'actor_role': {'type': 'string'},
      'firm_id': {'type': ['integer', 'null']}, 'action': {'type': 'string', 'examples': ['firm.update']}, 'detail': {'type': 'string'},
      'client_address': {'type': 'string'}, 'request_id': {'type': 'string'}}},
  'Event': {'type': 'object', 'required': ['event', 'status', 'at', 'detail'], 'properties': {
      'event': {'type': 'string'}, 'status': {'type': 'string'}, 'at': {'type': 'string'}, 'detail': {'type': 'string'}}},
  'Import': {'type': 'object', 'required': ['inserted', 'updated', 'errors'], 'properties': {
      'inserted': {'type': 'integer'}, 'updated': {'type': 'integer'},
      'errors': {'type': 'array', 'items': {'type': 'object', 'required': ['line', 'message'],
          'properties': {'line': {'type': 'integer'}, 'message': {'type': 'string'}}}}}},
  'Counts': {'type': 'object', 'required': ['delivered', 'failed', 'pending'], 'properties': {
      'delivered': {'type': 'integer'}, 'failed': {'type': 'integer'}, 'pending': {'type': 'integer'}}},
}
own['Stats'] = {'type': 'object', 'required': ['days', 'networks'], 'properties': {
    'days': {'type': 'array', 'items': {'allOf': [ref('Counts'), {'type': 'object', 'required': ['date'], 'properties': {'date': {'type': 'string', 'format': 'date'}}}]}},
    'networks': {'type': 'array', 'items': {'allOf': [ref('Counts'), {'type': 'object', 'required': ['network'], 'properties': {'network': {'type': 'string'}}}]}}}}
def page(key, item):
    return {'type': 'object', 'required': [key, 'has_more', 'next_starting_after'], 'properties': {
        key: {'type': 'array', 'items': item}, 'has_more': {'type': 'boolean'}, 'next_starting_after': {'type': ['integer', 'null']}}}
envs = {
  'SessionEnvelope': env(ref('Session')), 'UserEnvelope': env(ref('User')), 'FirmEnvelope': env(ref('Firm')),
  'FirmListEnvelope': env({'type': 'object', 'required': ['firms'], 'properties': {'firms': {'type': 'array', 'items': ref('Firm')}}}),
  'KeyEnvelope': env(ref('Key')),
  'KeyListEnvelope': env({'type': 'object', 'required': ['api_keys'], 'properties': {'api_keys': {'type': 'array', 'items': ref('Key')}}}),
  'WebhookEnvelope': env({'oneOf': [ref('Webhook'), {'type': 'null'}]}),
  'SecretEnvelope': env({'type': 'object', 'required': ['secret'], 'properties': {'secret': {'type': 'string', 'description': 'Shown once.'}}}),
  'SignedOutEnvelope': env({'type': 'object', 'required': ['signed_out'], 'properties': {'signed_out': {'type': 'boolean', 'const': True}}}),
  'TimelineEnvelope': env({'type': 'object', 'required': ['events'], 'properties': {'events': {'type': 'array', 'items': ref('Event')}},
      'description': 'The message as the public API shows it, plus `events`, oldest first.'}),
  'ImportEnvelope': env(ref('Import')), 'StatsEnvelope': env(ref('Stats')),
  'InvitedUserEnvelope': env(ref('InvitedUser')),
  'UserListEnvelope': env({'type': 'object', 'required': ['users'], 'properties': {'users': {'type': 'array', 'items': ref('InvitedUser')}}}),
  'AuditListEnvelope': env(page('entries', ref('Audit'))),
  'TransactionEnvelope': env(ref('Transaction')),
  'BlastEnvelope': env({'type': 'object', 'required': ['blast_id', 'channel', 'reference', 'total', 'counts', 'credits', 'created_at', 'send_at'],
      'properties': {'blast_id': {'type': 'string'}, 'channel': {'type': 'string', 'enum': ['sms', 'email']}, 'reference': nullable_str,
      'total': {'type': 'integer'}, 'credits': ref('Credits'), 'created_at': {'type': 'string'}, 'send_at': {'type': 'string'},
      'counts': {'type': 'object', 'required': ['pending', 'processing', 'delivered', 'failed'],
          'properties': {k: {'type': 'integer'} for k in ['pending', 'processing', 'delivered', 'failed']}}}}),
}
schemas = {**shared, **own, **envs}
schemas['SignInRequest'] = {'type': 'object', 'required': ['email', 'password'], 'additionalProperties': False, 'properties': {
    'email': {'type': 'string', 'maxLength': 254}, 'password': {'type': 'string', 'maxLength': 72}}}
schemas['AcceptRequest'] = {'type': 'object', 'required': ['token', 'password'], 'properties': {
    'token': {'type': 'string'}, 'password': {'type': 'string', 'minLength': 12, 'maxLength': 72}}}
schemas['KeyRequest'] = {'type': 'object', 'required': ['label'], 'properties': {'label': {'type': 'string', 'minLength': 1, 'maxLength': 64}}}
schemas['WebhookRequest'] = {'type': 'object', 'required': ['url'], 'properties': {'url': {'type': 'string', 'format': 'uri'}}}
schemas['InviteRequest'] = {'type': 'object', 'required': ['email', 'role'], 'properties': {
    'email': {'type': 'string', 'format': 'email'}, 'role': {'type': 'string', 'enum': ['owner', 'developer']}}}
schemas['NewFirmRequest'] = {'type': 'object', 'required': ['slug', 'name', 'sms_rate'], 'properties': {
    'slug': {'type': 'string', 'pattern': '^[a-z][a-z0-9-]{1,62}$'}, 'name': {'type': 'string', 'minLength': 1, 'maxLength': 200},
    'sms_rate': ref('KES'), 'mode': {'type': 'string', 'enum': ['live', 'sandbox'], 'default': 'live'}}}
schemas['FirmPatch'] = {'type': 'object', 'additionalProperties': False, 'properties': {
    'name': {'type': 'string', 'minLength': 1, 'maxLength': 200}, 'status': {'type': 'string', 'enum': ['active', 'suspended']},
    'sms_rate': {'type': ['string', 'number'], 'description': 'KES per credit, more than 0, at most 10,000, two decimals at most.'},
    'subscription_expires_at': {'type': ['string', 'null'], 'description': 'RFC 3339, or a date (the end of that day in East Africa Time); `null` clears.'},
    'sender_id_transactional': {'type': ['string', 'null'], 'description': '1–11 letters, digits, spaces; `null`: the platform default.'},
    'sender_id_promotional': {'type': ['string', 'null']}}}
schemas['CreditRequest'] = {'type': 'object', 'required': ['amount', 'reason'], 'properties': {
    'amount': {'type': 'number', 'description': 'Credits to add; negative removes.'}, 'reason': {'type': 'string', 'minLength': 1, 'maxLength': 200}}}

err = {'description': 'The error envelope: `unauthenticated` (401), `forbidden` or `csrf_failed` (403), `not_found` (404), '
       '`conflict` (409), `payload_too_large` (413), `validation_failed` (422), `account_locked` or `rate_limited` (429, '
       'with `Retry-After`), `service_unavailable` (503).',
       'content': {'application/json': {'schema': ref('Error')}}}
def ok(code, schema, description='OK'):
    return {code: {'description': description, 'content': {'application/json': {'schema': ref(schema)}}}, 'default': {'$ref': '#/components/responses/Error'}}
def body(schema, content='application/json'):
    return {'required': True, 'content': {content: {'schema': ref(schema) if content == 'application/json' else {'type': 'string', 'maxLength': 1048576}}}}
def idparam(name): return {'name': name, 'in': 'path', 'required': True, 'schema': {'type': 'integer', 'minimum': 1}}
page_params = [{'name': 'limit', 'in': 'query', 'schema': {'type': 'integer', 'minimum': 1, 'maximum': 100}},
               {'name': 'starting_after', 'in': 'query', 'schema': {'type': 'integer'}}]
def op(summary, tag, responses, request=None, params=None, security=True, description=None):
    o = {'summary': summary, 'tags': [tag], 'responses': responses}
    if description: o['description'] = description
    if request: o['requestBody'] = request
    if params: o['parameters'] = params
    if not security: o['security'] = []
    return o
P = {}
P['/openapi.yaml'] = {'get': {'summary': 'This document', 'tags': ['Sessions'], 'security': [],
    'responses': {'200': {'description': 'The OpenAPI document', 'content': {'application/yaml': {}}}, 'default': {'$ref': '#/components/responses/Error'}}}}
P['/sessions'] = {'post': op('Sign in', 'Sessions', ok('201', 'SessionEnvelope', 'Signed in: the bearer token'), body('SignInRequest'), security=False,
    description='Five failures in a row are free; each one after locks the account (30 s, doubling to 15 minutes): 429 `account_locked` with `Retry-After`.')}
P['/sessions/current'] = {'delete': op('Sign out (ends this session)', 'Sessions', ok('200', 'SignedOutEnvelope'))}
P['/me'] = {'get': op('Who is signed in', 'Sessions', ok('200', 'UserEnvelope'))}
P['/invitations/accept'] = {'post': op('Choose a password from an invitation', 'Sessions', ok('200', 'UserEnvelope'), body('AcceptRequest'), security=False)}
P['/firm'] = {'get': op('The signed-in user\'s firm', 'Firm', ok('200', 'FirmEnvelope'))}
P['/firm/api-keys'] = {'get': op('The firm\'s API keys (never their secrets)', 'Firm', ok('200', 'KeyListEnvelope')),
    'post': op('Make an API key (the secret is in this answer only)', 'Firm', ok('201', 'KeyEnvelope', 'The key, with `key`'), body('KeyRequest'))}
P['/firm/api-keys/{key_id}'] = {'delete': op('Revoke a key', 'Firm', ok('200', 'KeyEnvelope'), params=[idparam('key_id')])}
P['/firm/webhook'] = {'get': op('The webhook settings, or null', 'Firm', ok('200', 'WebhookEnvelope')),
    'put': op('Set the webhook URL (keeps the secret)', 'Firm', ok('200', 'WebhookEnvelope'), body('WebhookRequest')),
    'delete': op('Remove the webhook', 'Firm', ok('200', 'WebhookEnvelope'))}
P['/firm/webhook/secret'] = {'post': op('A new signing secret (shown once; the old one signs for 24 h more)', 'Firm', ok('201', 'SecretEnvelope'))}
P['/firm/webhook/test'] = {'post': op('Send a signed test event now', 'Firm', ok('200', 'WebhookTestEnvelope'))}
P['/firm/webhook/deliveries'] = {'get': op('Webhook deliveries, newest first', 'Firm', ok('200', 'DeliveryListEnvelope'), params=page_params + [
    {'name': 'status', 'in': 'query', 'schema': {'type': 'string', 'enum': ['pending', 'succeeded', 'failed']}},
    {'name': 'message_id', 'in': 'query', 'schema': {'type': 'integer'}}, {'name': 'payment_id', 'in': 'query', 'schema': {'type': 'integer'}},
    {'name': 'event_id', 'in': 'query', 'schema': {'type': 'integer'}}])}
P['/firm/webhook/deliveries/{delivery_id}/redeliver'] = {'post': op('Deliver again', 'Firm', ok('200', 'DeliveryEnvelope'), params=[idparam('delivery_id')])}
P['/firm/ledger'] = {'get': op('The credit ledger, newest first', 'Firm', ok('200', 'TransactionListEnvelope'), params=page_params)}
P['/firm/purchases'] = {'post': op('Buy credits with M-Pesa (owners only)', 'Firm', ok('202', 'PaymentEnvelope', 'The STK push was sent'), body('PurchaseRequest'))}
P['/firm/purchases/{payment_id}'] = {'get': op('A purchase', 'Firm', ok('200', 'PaymentEnvelope'), params=[idparam('payment_id')])}
msg_params = page_params + [{'name': n, 'in': 'query', 'schema': {'type': 'string'}} for n in ['status', 'phone', 'reference', 'blast_id', 'from', 'to']]
P['/firm/sms'] = {'get': op('SMS, newest first (the public filters)', 'Firm', ok('200', 'SmsMessageListEnvelope'), params=msg_params + [
    {'name': 'category', 'in': 'query', 'schema': {'type': 'string', 'enum': ['transactional', 'promotional']}}])}
P['/firm/sms/{message_id}'] = {'get': op('One SMS with its timeline', 'Firm', ok('200', 'TimelineEnvelope'), params=[idparam('message_id')])}
P['/firm/email'] = {'get': op('Email, newest first (the public filters)', 'Firm', ok('200', 'EmailMessageListEnvelope'), params=msg_params)}
P['/firm/email/{message_id}'] = {'get': op('One email with its timeline', 'Firm', ok('200', 'TimelineEnvelope'), params=[idparam('message_id')])}
P['/firm/blasts/{blast_id}'] = {'get': op('A blast: its messages counted by status, and its credits', 'Firm', ok('200', 'BlastEnvelope'),
    params=[{'name': 'blast_id', 'in': 'path', 'required': True, 'schema': {'type': 'string', 'maxLength': 64}}])}
P['/firm/opt-outs'] = {'get': op('SMS opt-outs', 'Firm', ok('200', 'OptOutListEnvelope'), params=[
    {'name': 'limit', 'in': 'query', 'schema': {'type': 'integer', 'minimum': 1, 'maximum': 100}},
    {'name': 'starting_after', 'in': 'query', 'schema': {'type': 'string'}}])}
P['/firm/contacts/import'] = {'post': op('Import contacts from CSV (≤ 1 MiB); refused lines by number', 'Firm', ok('200', 'ImportEnvelope'), body(None, 'text/csv'))}
P['/firm/delivery-stats'] = {'get': op('Delivered, failed and pending SMS per day and network', 'Firm', ok('200', 'StatsEnvelope'), params=[
    {'name': 'days', 'in': 'query', 'schema': {'type': 'integer', 'minimum': 1, 'maximum': 90, 'default': 14}}])}
P['/firm/users'] = {'get': op('The firm\'s users', 'Firm', ok('200', 'UserListEnvelope')),
    'post': op('Invite a user (owners only); the link is in this answer only', 'Firm', ok('201', 'InvitedUserEnvelope'), body('InviteRequest'))}
P['/admin/firms'] = {'get': op('Every firm', 'Admin', ok('200', 'FirmListEnvelope')),
    'post': op('Create a firm', 'Admin', ok('201', 'FirmEnvelope'), body('NewFirmRequest'))}
P['/admin/firms/{firm_id}'] = {'get': op('A firm', 'Admin', ok('200', 'FirmEnvelope'), params=[idparam('firm_id')]),
    'patch': op('Change a firm (absent fields stay; null clears)', 'Admin', ok('200', 'FirmEnvelope'), body('FirmPatch'), params=[idparam('firm_id')])}
P['/admin/firms/{firm_id}/credits'] = {'post': op('Adjust credits with a reason', 'Admin', ok('201', 'TransactionEnvelope'), body('CreditRequest'), params=[idparam('firm_id')])}
P['/admin/firms/{firm_id}/users'] = {'post': op('Invite a user of the firm (typically its first owner)', 'Admin', ok('201', 'InvitedUserEnvelope'), body('InviteRequest'), params=[idparam('firm_id')])}
P['/admin/audit'] = {'get': op('The audit log, newest first', 'Admin', ok('200', 'AuditListEnvelope'), params=page_params + [
    {'name': 'firm_id', 'in': 'query', 'schema': {'type': 'integer'}}])}
doc = {
  'openapi': '3.1.0',
  'info': {'title': 'World Ledgers Communication — management API', 'version': src['info']['version'],
           'description': 'What the console does, for programs: a firm user\'s keys, webhook, credits, messages, contacts and team, and the '
                          'platform admin\'s firms and audit log. Sign in with `POST /sessions` and send the token as '
                          '`Authorization: Bearer …`. Same envelopes and request ids as the public API. See docs/console.md.'},
  'servers': [{'url': '/api/v1/manage'}],
  'security': [{'bearer': []}],
  'tags': [{'name': 'Sessions'}, {'name': 'Firm', 'description': 'Firm users (owner, developer) only; the firm is the session\'s.'},
           {'name': 'Admin', 'description': 'Platform admins only.'}],
  'paths': P,
  'components': {'securitySchemes': {'bearer': {'type': 'http', 'scheme': 'bearer', 'description': 'A session token from `POST /sessions`.'}},
                 'responses': {'Error': err}, 'schemas': schemas},
}
class D(yaml.SafeDumper): pass
D.ignore_aliases = lambda self, data: True
text = '# The management API (issue #14), made by scripts/manage_openapi.py: edit that, not this. See docs/console.md.\n' + yaml.dump(
    doc, Dumper=D, sort_keys=False, allow_unicode=True, width=120)
if __name__ == '__main__':
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'Sources/WLHTTP/Resources/manage.yaml')
    with open(target, 'w') as file:
        file.write(text)
    print(f'{len(P)} paths written to {os.path.relpath(target)}')
