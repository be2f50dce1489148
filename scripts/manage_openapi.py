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
  'PasswordChangedEnvelope': env({'type': 'object', 'required': ['other_sessions_ended'], 'properties': {
      'other_sessions_ended': {'type': 'integer', 'minimum': 0}}}, msg=True),
  'SessionsEndedEnvelope': env({'type': 'object', 'required': ['sessions_ended'], 'properties': {'sessions_ended': {'type': 'integer', 'minimum': 0}}}, msg=True),
  'SignedOutEnvelope': env({'type': 'object', 'required': ['signed_out'], 'properties': {'signed_out': {'type': 'boolean', 'const': True}}}),
  'SmsTimelineEnvelope': env({'allOf': [ref('SmsMessage'), {'type': 'object', 'required': ['events'], 'properties': {
      'events': {'type': 'array', 'items': ref('Event')}}}], 'description': 'The SMS as the public API shows it, plus `events`, oldest first.'}),
  'EmailTimelineEnvelope': env({'allOf': [ref('EmailMessage'), {'type': 'object', 'required': ['events'], 'properties': {
      'events': {'type': 'array', 'items': ref('Event')}}}], 'description': 'The email as the public API shows it, plus `events`, oldest first.'}),
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
schemas['PasswordChangeRequest'] = {'type': 'object', 'required': ['current_password', 'new_password'], 'additionalProperties': False,
    'properties': {'current_password': {'type': 'string', 'maxLength': 72}, 'new_password': {'type': 'string', 'minLength': 12, 'maxLength': 72}}}
schemas['AcceptRequest'] = {'type': 'object', 'required': ['token', 'password'], 'properties': {
    'token': {'type': 'string'}, 'password': {'type': 'string', 'minLength': 12, 'maxLength': 72}}}
schemas['KeyRequest'] = {'type': 'object', 'required': ['label'], 'properties': {'label': {'type': 'string', 'minLength': 1, 'maxLength': 64}}}
schemas['WebhookRequest'] = {'type': 'object', 'required': ['url'], 'properties': {'url': {'type': 'string', 'format': 'uri'}}}
schemas['RoleRequest'] = {'type': 'object', 'required': ['role'], 'additionalProperties': False, 'properties': {
    'role': {'type': 'string', 'enum': ['owner', 'developer']}}}
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

def ok(code, schema, description='OK'):
    return {code: {'description': description, 'content': {'application/json': {'schema': ref(schema)}}}}
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
    'responses': {'200': {'description': 'The OpenAPI document', 'content': {'application/yaml': {}}}}}}
P['/sessions'] = {'post': op('Sign in', 'Sessions', ok('201', 'SessionEnvelope', 'Signed in: the bearer token'), body('SignInRequest'), security=False,
    description='Five failures in a row are free; each one after locks the account (30 s, doubling to 15 minutes): 429 `account_locked` with `Retry-After`.'),
    'delete': op('Sign out everywhere (ends every session of the signed-in user, this one too)', 'Sessions', ok('200', 'SessionsEndedEnvelope'),
        description='For a lost laptop or a leaked bearer token: every browser and token of this user must sign in again. Audited as `user.sign_out_everywhere`.')}
P['/sessions/current'] = {'delete': op('Sign out (ends this session)', 'Sessions', ok('200', 'SignedOutEnvelope'))}
P['/me'] = {'get': op('Who is signed in', 'Sessions', ok('200', 'UserEnvelope'))}
P['/me/password'] = {'post': op('Change your password', 'Sessions', ok('200', 'PasswordChangedEnvelope'), body('PasswordChangeRequest'),
    description='The current password must be given (422 naming `current_password` otherwise); a wrong one counts as a failed '
    'sign-in, so the account lock applies (429 `account_locked`). 409 when the password was changed meanwhile. Every other '
    'session of yours ends (other browsers and bearer tokens); this one stays. Counts against the `sign-in` limit of the '
    'client address (10 password checks a minute). Audited as `user.password_change` (or `user.password_change_failed`).')}
P['/invitations/accept'] = {'post': op('Choose a password from an invitation', 'Sessions', ok('200', 'UserEnvelope'), body('AcceptRequest'), security=False)}
P['/firm'] = {'get': op('The signed-in user\'s firm', 'Firm', ok('200', 'FirmEnvelope'))}
P['/firm/api-keys'] = {'get': op('The firm\'s API keys (never their secrets)', 'Firm', ok('200', 'KeyListEnvelope'),
        description='Every active key and the 50 revoked most recently, newest first.'),
    'post': op('Make an API key (the secret is in this answer only)', 'Firm', ok('201', 'KeyEnvelope', 'The key, with `key`'), body('KeyRequest'),
        description='A firm may have at most 20 active keys: 409 `conflict` beyond, until one is revoked.')}
P['/firm/api-keys/{key_id}'] = {'delete': op('Revoke a key', 'Firm', ok('200', 'KeyEnvelope'), params=[idparam('key_id')])}
P['/firm/webhook'] = {'get': op('The webhook settings, or null', 'Firm', ok('200', 'WebhookEnvelope')),
    'put': op('Set the webhook URL (keeps the secret)', 'Firm', ok('200', 'WebhookEnvelope'), body('WebhookRequest')),
    'delete': op('Remove the webhook', 'Firm', ok('200', 'WebhookEnvelope'))}
P['/firm/webhook/secret'] = {'post': op('A new signing secret (shown once; the old one signs for 24 h more)', 'Firm', ok('201', 'SecretEnvelope'))}
P['/firm/webhook/test'] = {'post': op('Send a signed test event now', 'Firm', ok('200', 'WebhookTestEnvelope'),
    description='At most 10 a minute per firm (`limits.webhookTestQuota`), counted with the public API\'s `POST /webhooks/test` and the '
    'console\'s: 429 `rate_limited` with `Retry-After` beyond.')}
def window_note(items):
    return (f'Each page reads at most 10,000 of the firm\'s {items}, newest first, and keeps those the filters match: a page that has read '
            'that many before it is full ends there, possibly empty, with `has_more` true and `next_starting_after` the last one it read.')
P['/firm/webhook/deliveries'] = {'get': op('Webhook deliveries, newest first', 'Firm', ok('200', 'DeliveryListEnvelope'), params=page_params + [
    {'name': 'status', 'in': 'query', 'schema': {'type': 'string', 'enum': ['pending', 'succeeded', 'failed']}},
    {'name': 'message_id', 'in': 'query', 'schema': {'type': 'integer'}}, {'name': 'payment_id', 'in': 'query', 'schema': {'type': 'integer'}},
    {'name': 'event_id', 'in': 'query', 'schema': {'type': 'integer'}}], description=window_note('deliveries'))}
P['/firm/webhook/deliveries/{delivery_id}/redeliver'] = {'post': op('Deliver again', 'Firm', ok('200', 'DeliveryEnvelope'), params=[idparam('delivery_id')])}
P['/firm/ledger'] = {'get': op('The credit ledger, newest first', 'Firm', ok('200', 'TransactionListEnvelope'), params=page_params)}
P['/firm/purchases'] = {'post': op('Buy credits with M-Pesa (owners only)', 'Firm', ok('202', 'PaymentEnvelope', 'The STK push was sent'), body('PurchaseRequest'))}
P['/firm/purchases/{payment_id}'] = {'get': op('A purchase', 'Firm', ok('200', 'PaymentEnvelope'), params=[idparam('payment_id')])}
msg_params = page_params + [{'name': n, 'in': 'query', 'schema': {'type': 'string'}} for n in ['status', 'phone', 'reference', 'blast_id', 'from', 'to']]
P['/firm/sms'] = {'get': op('SMS, newest first (the public filters)', 'Firm', ok('200', 'SmsMessageListEnvelope'), params=msg_params + [
    {'name': 'category', 'in': 'query', 'schema': {'type': 'string', 'enum': ['transactional', 'promotional']}}], description=window_note('messages'))}
P['/firm/sms/{message_id}'] = {'get': op('One SMS with its timeline', 'Firm', ok('200', 'SmsTimelineEnvelope'), params=[idparam('message_id')])}
P['/firm/email'] = {'get': op('Email, newest first (the public filters)', 'Firm', ok('200', 'EmailMessageListEnvelope'), params=msg_params,
    description=window_note('messages'))}
P['/firm/email/{message_id}'] = {'get': op('One email with its timeline', 'Firm', ok('200', 'EmailTimelineEnvelope'), params=[idparam('message_id')])}
P['/firm/blasts/{blast_id}'] = {'get': op('A blast: its messages counted by status, and its credits', 'Firm', ok('200', 'BlastEnvelope'),
    params=[{'name': 'blast_id', 'in': 'path', 'required': True, 'schema': {'type': 'string', 'maxLength': 64}}])}
P['/firm/opt-outs'] = {'get': op('SMS opt-outs', 'Firm', ok('200', 'OptOutListEnvelope'), params=[
    {'name': 'limit', 'in': 'query', 'schema': {'type': 'integer', 'minimum': 1, 'maximum': 100}},
    {'name': 'starting_after', 'in': 'query', 'schema': {'type': 'string'}}])}
P['/firm/contacts/import'] = {'post': op('Import contacts from CSV (≤ 1 MiB); refused lines by number', 'Firm', ok('200', 'ImportEnvelope'), body(None, 'text/csv'))}
P['/firm/delivery-stats'] = {'get': op('Delivered, failed and pending SMS per day and network', 'Firm', ok('200', 'StatsEnvelope'), params=[
    {'name': 'days', 'in': 'query', 'schema': {'type': 'integer', 'minimum': 1, 'maximum': 90, 'default': 14}}])}
P['/firm/users'] = {'get': op('The firm\'s users', 'Firm', ok('200', 'UserListEnvelope')),
    'post': op('Invite a user (owners only); the link is in this answer only', 'Firm', ok('201', 'InvitedUserEnvelope'), body('InviteRequest'),
        description='A firm may have at most 50 users, invitations not yet accepted included: 409 `conflict` beyond, until one is removed.')}
P['/firm/users/{user_id}'] = {'delete': op('Remove a user of the firm (owners only; not yourself); their sessions end at once', 'Firm',
    ok('200', 'InvitedUserEnvelope'), params=[idparam('user_id')]),
    'patch': op('Change a user\'s role (owners only; not your own); it applies from their next request', 'Firm',
    ok('200', 'InvitedUserEnvelope'), body('RoleRequest'), params=[idparam('user_id')])}
P['/admin/firms'] = {'get': op('Every firm', 'Admin', ok('200', 'FirmListEnvelope')),
    'post': op('Create a firm', 'Admin', ok('201', 'FirmEnvelope'), body('NewFirmRequest'))}
P['/admin/firms/{firm_id}'] = {'get': op('A firm', 'Admin', ok('200', 'FirmEnvelope'), params=[idparam('firm_id')]),
    'patch': op('Change a firm (absent fields stay; null clears)', 'Admin', ok('200', 'FirmEnvelope'), body('FirmPatch'), params=[idparam('firm_id')])}
P['/admin/firms/{firm_id}/credits'] = {'post': op('Adjust credits with a reason', 'Admin', ok('201', 'TransactionEnvelope'), body('CreditRequest'), params=[idparam('firm_id')])}
P['/admin/firms/{firm_id}/users'] = {'post': op('Invite a user of the firm (typically its first owner)', 'Admin', ok('201', 'InvitedUserEnvelope'), body('InviteRequest'), params=[idparam('firm_id')])}
P['/admin/firms/{firm_id}/users/{user_id}'] = {'delete': op('Remove a user of the firm; their sessions end at once', 'Admin',
    ok('200', 'InvitedUserEnvelope'), params=[idparam('firm_id'), idparam('user_id')]),
    'patch': op('Change a user\'s role; it applies from their next request', 'Admin',
    ok('200', 'InvitedUserEnvelope'), body('RoleRequest'), params=[idparam('firm_id'), idparam('user_id')])}
P['/admin/audit'] = {'get': op('The audit log, newest first', 'Admin', ok('200', 'AuditListEnvelope'), params=page_params + [
    {'name': 'firm_id', 'in': 'query', 'schema': {'type': 'integer'}}])}
# Errors by status, each with its example, instead of one `default`: schemathesis then flags any status an operation
# is not documented to answer (status_code_conformance), as for the public document.
def error_response(description, code, message, errors=None, retry_after=False):
    example = {'status': 'error', 'code': code, 'message': message}
    if errors: example['errors'] = errors
    r = {'description': description, 'headers': {'X-Request-Id': {'$ref': '#/components/headers/RequestId'}},
         'content': {'application/json': {'schema': ref('Error'), 'example': example}}}
    if retry_after: r['headers']['Retry-After'] = {**src['components']['headers']['RetryAfter'], 'required': True}
    return r
responses = {
  'Unauthenticated': error_response('`unauthenticated`: no session token, or the session has ended (signed out, 30 minutes idle, '
      '12 hours old).', 'unauthenticated', 'Sign in first: the session is missing or has ended.'),
  'WrongPassword': error_response('`unauthenticated`: wrong email or password (counts towards the account\'s lock and the '
      'address\'s limit).', 'unauthenticated', 'Wrong email or password.'),
  'Forbidden': error_response('`forbidden`: the role may not do this (a firm user on `/admin`, an admin on `/firm`, a developer '
      'buying credits, inviting or removing users); or `csrf_failed`: a cookie-authenticated call without the session\'s `X-CSRF-Token` '
      '(bearer calls never need it).', 'forbidden', 'Only the firm\'s owner may buy credits.'),
  'NotFound': error_response('`not_found`: no such record in this firm (another firm\'s ids are not found either).',
      'not_found', 'No such key.'),
  'Conflict': error_response('`conflict` or `duplicate`: the record\'s state forbids it (no webhook URL yet, the email or slug is '
      'taken, an owner removing themselves).', 'conflict', 'Set a webhook URL before its secret.'),
  'PayloadTooLarge': error_response('`payload_too_large`: the body is over 1 MiB.', 'payload_too_large',
      'The request body is over the limit of 1048576 bytes.'),
  'RequestTimeout': error_response('`request_timeout`: the body did not arrive in time.', 'request_timeout',
      'The request body did not arrive within 30 seconds.'),
  'ValidationFailed': error_response('`validation_failed`: `errors` names each bad field or query parameter (or `body` for a body '
      'that is not JSON).', 'validation_failed', 'The label must be 1 to 64 characters.', {'label': ['1 to 64 characters']}),
  'TooManyRequests': error_response('`rate_limited`: over the `console` limit (600 requests a minute per signed-in user, shared '
      'with the console pages; per client address before sign-in), too many test webhooks for the firm, or too many failed '
      'sign-ins or session tokens from this address; retry after `Retry-After` seconds.', 'rate_limited',
      'Rate limit exceeded (600 requests per 60 s); retry after 1 s.', retry_after=True),
  'SignInRefused': error_response('`account_locked`: five failed sign-ins (or wrong current passwords) in a row are free, each later one locks the account for '
      '30 s, doubling to 15 minutes (the password is not even checked while locked); or `rate_limited`: too many failures from '
      'this address, more than 10 password checks a minute from it (the `sign-in` limit), or over the `console` limit. Retry after `Retry-After` seconds.', 'account_locked', 'Too many failed sign-ins: try again in 30 s.',
      retry_after=True),
  'MpesaUnavailable': error_response('`mpesa_unavailable`: M-Pesa could not start the payment; the payment is marked failed.',
      'mpesa_unavailable', 'M-Pesa could not start the payment; payment 2 is marked failed. Try again.'),
  'InternalError': error_response('`internal_error`: a failure on our side (never the request\'s fault); quote `X-Request-Id`.',
      'internal_error', 'Something went wrong on our side. Quote the request id when you contact support.'),
  'ServiceUnavailable': error_response('`service_unavailable`: the database cannot be reached (or written) right now; nothing was '
      'done.', 'service_unavailable', 'The database is unavailable right now; nothing was done. Retry shortly.', retry_after=True),
}
CONFLICTS = {('/me/password', 'post'), ('/firm/api-keys', 'post'), ('/firm/webhook/secret', 'post'), ('/firm/webhook/test', 'post'), ('/firm/webhook/deliveries/{delivery_id}/redeliver', 'post'),
             ('/firm/users', 'post'), ('/firm/users/{user_id}', 'delete'), ('/firm/users/{user_id}', 'patch'),
             ('/admin/firms/{firm_id}/users/{user_id}', 'patch'), ('/admin/firms', 'post'), ('/admin/firms/{firm_id}/users', 'post')}
for path, item in P.items():
    for method, o in item.items():
        r = o['responses']
        if path == '/openapi.yaml':
            r['500'] = {'$ref': '#/components/responses/InternalError'}
            continue
        codes = {}
        if o.get('security') != []:
            codes.update({'401': 'Unauthenticated', '403': 'Forbidden', '429': 'TooManyRequests'})
        if path == '/sessions' and method == 'post':
            codes.update({'401': 'WrongPassword', '429': 'SignInRefused'})
        if path == '/me/password':
            codes['429'] = 'SignInRefused'
        if '{' in path or path == '/invitations/accept':
            codes['404'] = 'NotFound'
        if path == '/invitations/accept':
            codes['429'] = 'TooManyRequests'
        if (path, method) in CONFLICTS:
            codes['409'] = 'Conflict'
        if 'requestBody' in o:
            codes.update({'408': 'RequestTimeout', '413': 'PayloadTooLarge'})
        if 'requestBody' in o or any(p['in'] == 'query' for p in o.get('parameters', [])):
            codes['422'] = 'ValidationFailed'
        if path == '/firm/purchases':
            codes['502'] = 'MpesaUnavailable'
        codes.update({'500': 'InternalError', '503': 'ServiceUnavailable'})
        for code in sorted(codes):
            r[code] = {'$ref': f'#/components/responses/{codes[code]}'}

# Examples, from a sandbox server's answers.
T = '2026-12-03T10:02:12+03:00'
FIRM = {'id': 1, 'slug': 'sandbox', 'name': 'World Ledgers Sandbox', 'status': 'active', 'mode': 'sandbox', 'balance': 1062.0556,
        'sms_rate': 1.8, 'timezone': 'Africa/Nairobi', 'created_at': T, 'subscription_expires_at': None,
        'sender_id_transactional': None, 'sender_id_promotional': None}
KEY = {'id': 7, 'prefix': 'wl_test_KYFt', 'label': 'Billing server', 'created_at': T, 'last_used_at': None, 'revoked_at': None}
USER = {'id': 2, 'email': 'owner@example.com', 'role': 'owner', 'firm_id': 1}
INVITED = {'id': 3, 'email': 'dev@example.com', 'role': 'developer', 'firm_id': 1, 'invitation_pending': True}
HOOK = {'url': 'https://example.com/hooks/wl', 'has_secret': True, 'disabled_at': None, 'disabled_reason': None}
def ok_data(data, message=None):
    e = {'status': 'success', 'data': data}
    if message: e['message'] = message
    return e
EXAMPLES = {
  ('/sessions', 'post'): ({'email': 'owner@example.com', 'password': 'correct horse battery'},
      ok_data({'token': 'POG8sfgyx4uqvHEAQcR6WWlqsqC0S9KNuf2Jf2IHMvY', 'expires_at': '2026-12-03T19:05:02.555Z', 'user': USER}, 'Signed in.')),
  ('/sessions/current', 'delete'): (None, ok_data({'signed_out': True}, 'Signed out.')),
  ('/sessions', 'delete'): (None, ok_data({'sessions_ended': 2}, 'Signed out everywhere: every session of yours has ended, this one too.')),
  ('/me', 'get'): (None, ok_data(USER)),
  ('/me/password', 'post'): ({'current_password': 'correct horse battery', 'new_password': 'a longer new passphrase'},
      ok_data({'other_sessions_ended': 1}, 'Password changed.')),
  ('/invitations/accept', 'post'): ({'token': 'WoyAumP5wH3euaf0cgqkA9apDDs0uRgp1nM45vQQhuE', 'password': 'a long new password'},
      ok_data({**USER, 'id': 3, 'email': 'dev@example.com', 'role': 'developer'}, 'Password set. Sign in with it.')),
  ('/firm', 'get'): (None, ok_data(FIRM)),
  ('/firm/api-keys', 'get'): (None, ok_data({'api_keys': [KEY]})),
  ('/firm/api-keys', 'post'): ({'label': 'Billing server'},
      ok_data({**KEY, 'key': 'wl_test_KYFtlPOMJxHrrhzA6T7Uh2GgZVwByPdXGSRfZ3TB'}, 'Key created. Copy it now: it is not shown again.')),
  ('/firm/api-keys/{key_id}', 'delete'): (None, ok_data({**KEY, 'revoked_at': '2026-12-03T10:04:19+03:00'}, 'Key revoked.')),
  ('/firm/webhook', 'get'): (None, ok_data(HOOK)),
  ('/firm/webhook', 'put'): ({'url': 'https://example.com/hooks/wl'}, ok_data(HOOK, 'Webhook saved.')),
  ('/firm/webhook', 'delete'): (None, ok_data(None, 'Webhook removed.')),
  ('/firm/webhook/secret', 'post'): (None, ok_data({'secret': 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'},
      'New secret. Copy it now: it is not shown again. X-WL-Signature uses it at once; for 24 hours webhook-signature also carries a signature with the old one.')),
  ('/firm/purchases', 'post'): ({'phone': '254712345678', 'amount': 100}, None),
  ('/firm/contacts/import', 'post'): ('phone,first_name\n0712345678,Ann\nbad,Bob\n',
      ok_data({'inserted': 1, 'updated': 0, 'errors': [{'line': 3, 'message': 'phone bad is not a Kenyan mobile number'}]})),
  ('/firm/delivery-stats', 'get'): (None, ok_data({'days': [{'date': '2026-12-03', 'delivered': 6, 'failed': 0, 'pending': 0}],
      'networks': [{'network': 'Safaricom', 'delivered': 6, 'failed': 0, 'pending': 0}]})),
  ('/firm/users', 'get'): (None, ok_data({'users': [{**USER, 'invitation_pending': False}, INVITED]})),
  ('/firm/users', 'post'): ({'email': 'dev@example.com', 'role': 'developer'}, ok_data({**INVITED,
      'invite_url': 'https://comm.worldledgers.example/console/invite/WoyAumP5wH3euaf0cgqkA9apDDs0uRgp1nM45vQQhuE'},
      'Invitation made. Send the link to the person: it is shown only now and works for 72 hours.')),
  ('/firm/users/{user_id}', 'delete'): (None, ok_data({**INVITED, 'invitation_pending': False}, 'User removed; their sessions have ended.')),
  ('/firm/blasts/{blast_id}', 'get'): (None, ok_data({'blast_id': 'SMS-3BVWYE7XD83JBZR9DF0Q', 'channel': 'sms', 'reference': 'r2',
      'total': 2, 'counts': {'pending': 0, 'processing': 0, 'delivered': 2, 'failed': 0}, 'credits': 2, 'created_at': T, 'send_at': T})),
  ('/admin/firms', 'get'): (None, ok_data({'firms': [FIRM]})),
  ('/admin/firms', 'post'): ({'slug': 'acme-ltd', 'name': 'Acme Ltd', 'sms_rate': 0.8, 'mode': 'live'},
      ok_data({**FIRM, 'id': 2, 'slug': 'acme-ltd', 'name': 'Acme Ltd', 'mode': 'live', 'balance': 0, 'sms_rate': 0.8}, 'Firm created.')),
  ('/admin/firms/{firm_id}', 'get'): (None, ok_data(FIRM)),
  ('/admin/firms/{firm_id}', 'patch'): ({'sms_rate': 1.5, 'subscription_expires_at': '2027-01-31', 'sender_id_transactional': 'ACME'},
      ok_data({**FIRM, 'sms_rate': 1.5, 'subscription_expires_at': '2027-01-31T23:59:59+03:00', 'sender_id_transactional': 'ACME'},
              'Firm updated.')),
  ('/admin/firms/{firm_id}/credits', 'post'): ({'amount': 12.5, 'reason': 'Goodwill for the outage of 2 December'},
      ok_data({'id': 2, 'kind': 'adjustment', 'credits': 12.5, 'balance_after': 1012.5, 'payment_id': None, 'mpesa_receipt': None,
               'message_id': None, 'reason': 'Goodwill for the outage of 2 December', 'created_at': T}, 'Credits adjusted.')),
  ('/admin/firms/{firm_id}/users', 'post'): ({'email': 'owner@acme.example', 'role': 'owner'}, ok_data({**INVITED, 'id': 12,
      'email': 'owner@acme.example', 'role': 'owner', 'firm_id': 2,
      'invite_url': 'https://comm.worldledgers.example/console/invite/WoyAumP5wH3euaf0cgqkA9apDDs0uRgp1nM45vQQhuE'},
      'Invitation made. Send the link to the person: it is shown only now and works for 72 hours.')),
  ('/admin/firms/{firm_id}/users/{user_id}', 'delete'): (None, ok_data({**INVITED, 'id': 12, 'email': 'owner@acme.example',
      'role': 'owner', 'firm_id': 2, 'invitation_pending': False}, 'User removed; their sessions have ended.')),
  ('/firm/users/{user_id}', 'patch'): ({'role': 'owner'}, ok_data({**INVITED, 'role': 'owner', 'invitation_pending': False},
      'Role changed; it applies from the user\'s next request.')),
  ('/admin/firms/{firm_id}/users/{user_id}', 'patch'): ({'role': 'developer'}, ok_data({**INVITED, 'id': 12, 'email': 'owner@acme.example',
      'role': 'developer', 'firm_id': 2, 'invitation_pending': False}, 'Role changed; it applies from the user\'s next request.')),
  ('/admin/audit', 'get'): (None, ok_data({'entries': [{'id': 835, 'at': '2026-12-03T07:07:15Z', 'actor': 'admin@worldledgers.test',
      'actor_role': 'admin', 'firm_id': 2, 'action': 'credits.adjust', 'detail': '12.5 Goodwill for the outage of 2 December',
      'client_address': '127.0.0.1', 'request_id': 'req_a7e47d9de72a3145c80fb48ab0203932'}], 'has_more': True,
      'next_starting_after': 835})),
}
for (path, method), (request, answer) in EXAMPLES.items():
    o = P[path][method]
    if request is not None:
        next(iter(o['requestBody']['content'].values()))['example'] = request
    if answer is not None:
        success = next(c for c in o['responses'] if c.startswith('2'))
        o['responses'][success]['content']['application/json']['example'] = answer

# The answers shared with the public API take the public document's examples.
PUBLIC = {('/firm/webhook/test', 'post'): ('/webhooks/test', 'post'), ('/firm/webhook/deliveries', 'get'): ('/webhooks/deliveries', 'get'),
          ('/firm/webhook/deliveries/{delivery_id}/redeliver', 'post'): ('/webhooks/deliveries/{delivery_id}/redeliver', 'post'),
          ('/firm/ledger', 'get'): ('/sms-credits/transactions', 'get'), ('/firm/purchases', 'post'): ('/sms-credits/purchase', 'post'),
          ('/firm/purchases/{payment_id}', 'get'): ('/sms-credits/purchase/{payment_id}', 'get'), ('/firm/sms', 'get'): ('/sms', 'get'),
          ('/firm/email', 'get'): ('/email', 'get'), ('/firm/opt-outs', 'get'): ('/sms/opt-outs', 'get')}
for (path, method), (public_path, public_method) in PUBLIC.items():
    theirs = src['paths'][public_path][public_method]['responses']
    ours = P[path][method]['responses']
    success = next(c for c in ours if c.startswith('2'))
    media = theirs[success]['content']['application/json']
    if 'example' in media:
        ours[success]['content']['application/json']['example'] = copy.deepcopy(media['example'])
    elif 'examples' in media:
        ours[success]['content']['application/json']['examples'] = copy.deepcopy(media['examples'])
SMS_EVENTS = [{'event': 'communication.sms.processing', 'status': 'processing', 'at': '2026-12-03T10:02:41+03:00', 'detail': 'Sending'},
              {'event': 'communication.sms.delivered', 'status': 'delivered', 'at': '2026-12-03T10:02:41+03:00', 'detail': 'Success'}]
P['/firm/sms/{message_id}']['get']['responses']['200']['content']['application/json']['example'] = ok_data({
    'message_id': 1, 'type': 'sms', 'recipient': '254712345678', 'status': 'delivered', 'status_code': 1,
    'event': 'communication.sms.delivered', 'category': 'transactional', 'blast_id': 'SMS-1FKA1XKKQV9XRMQT80QT', 'reference': 'r0',
    'encoding': 'GSM-7', 'segments': 1, 'credits': 1, 'network': 'Safaricom', 'response': 'Success', 'scheduled_for': None,
    'created_at': '2026-12-03T10:02:41+03:00', 'sent_at': '2026-12-03T10:02:41+03:00', 'delivered_at': '2026-12-03T10:02:41+03:00',
    'events': SMS_EVENTS})
P['/firm/email/{message_id}']['get']['responses']['200']['content']['application/json']['example'] = ok_data({
    'message_id': 7, 'type': 'email', 'recipient': 'a@example.com', 'subject': 'Hi', 'status': 'delivered', 'status_code': 1,
    'event': 'communication.email.delivered', 'blast_id': 'MAIL-V2YJFYSABFT5VE8C625K', 'reference': None,
    'response': '250 2.0.0 Ok (sandbox)', 'opens': 0, 'clicks': 0, 'opened_at': None, 'clicked_at': None,
    'created_at': '2026-12-03T10:02:41+03:00', 'sent_at': '2026-12-03T10:02:41+03:00', 'delivered_at': '2026-12-03T10:02:41+03:00',
    'events': [{**SMS_EVENTS[0], 'event': 'communication.email.processing'},
               {**SMS_EVENTS[1], 'event': 'communication.email.delivered', 'detail': '250 2.0.0 Ok (sandbox)'}]})

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
                 'headers': {n: src['components']['headers'][n] for n in ('RequestId', 'RetryAfter')},
                 'responses': responses, 'schemas': schemas},
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
