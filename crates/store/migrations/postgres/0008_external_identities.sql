-- keyhall schema, version 8: identities of other providers (an Auth0 tenant, an OpenID
-- provider) linked to users by issuer and subject, so that an address alone never decides
-- whose account a provider's sign-in opens.

CREATE TABLE external_identities (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, issuer, subject)
);
