using System.Collections.Concurrent;
using System.Security.Claims;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

using OpenIddict.Server;

using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Workload identity federation (Entra): a workspace client with federation settings authenticates at the token
/// endpoint with <c>client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer</c> and a JWT signed
/// by the IdP's tenant. Runs in OpenIddict's client authentication (<see cref="ProcessAuthenticationContext"/>), just
/// before OpenIddict's own client-assertion validation: OpenIddict's private_key_jwt expects iss = sub = client_id
/// and keys registered on the application, which is not what Entra sends (iss is its tenant, sub the provisioning
/// service's object id). For such a client this handler validates the assertion against the settings the admin
/// pasted: signature with a key of the tenant's JWKS (<see cref="FederationJwks"/>), iss, sub, aud, exp and nbf (with
/// <see cref="OAuthFederationOptions.ClockSkew"/>), optionally jti replay; then it turns OpenIddict's RFC 7523
/// checks off for this request and <see cref="AttachPrincipal"/> hands the validated assertion back to OpenIddict,
/// whose client-type check then accepts the confidential client without a secret. Any failure is
/// <c>invalid_client</c> with the one description of every client authentication failure; what was wrong is not said
/// and the assertion is never logged.
/// </summary>
public sealed class FederatedClientAssertion(
    PortalDbContext db, FederationJwks jwks, FederationReplayCache replays, OAuthClientAuthentication authentication,
    IOptions<OAuthOptions> options, TimeProvider time) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    private const string PrincipalProperty = ".scim_federated_assertion_principal";

    /// <summary>Longest client assertion considered (an Entra token is 1-2 KB).</summary>
    private const int MaxAssertionLength = 16 * 1024;

    private static readonly JsonWebTokenHandler Tokens = new() { MapInboundClaims = false };

    public static OpenIddictServerHandlerDescriptor Descriptor { get; }
        = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .UseScopedHandler<FederatedClientAssertion>()
            .SetOrder(OpenIddictServerHandlers.ValidateClientAssertion.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var clientId = context.ClientId ?? context.Request.ClientId;
        if (context.EndpointType is not OpenIddictServerEndpointType.Token
            || string.IsNullOrEmpty(context.ClientAssertion)
            || context.ClientAssertionType != ClientAssertionTypes.JwtBearer
            || string.IsNullOrEmpty(clientId))
        {
            return;
        }

        var ct = context.CancellationToken;
        var client = await db.ScimOAuthClients.AsNoTracking()
            .Where(c => c.ClientId == clientId && c.FederationId != null)
            .Select(c => new { c.FederationId, c.FederationIssuer, c.FederationJwksUrl, c.FederationSubject, c.FederationAudience })
            .FirstOrDefaultAsync(ct);
        if (client is not { FederationId: { } federationId, FederationIssuer: { } issuer, FederationJwksUrl: { } jwksUrl, FederationSubject: { } subject, FederationAudience: { } audience })
        {
            // Not a federated client: OpenIddict's own client-assertion rules apply (and refuse, no client has keys).
            return;
        }

        // From here on the assertion is this handler's: OpenIddict's RFC 7523 checks (iss = sub = client_id) do not apply.
        context.ValidateClientAssertion = false;
        context.RejectClientAssertion = false;

        var principal = await ValidateAsync(context.ClientAssertion, issuer, jwksUrl, subject, audience, ct);
        if (principal is null)
        {
            context.Reject(error: OpenIddict.Abstractions.OpenIddictConstants.Errors.InvalidClient, description: OAuthServerSetup.InvalidClientDescription);
            return;
        }

        authentication.FederationId = federationId;
        context.Transaction.Properties[PrincipalProperty] = principal;
    }

    /// <summary>The assertion's principal when every check passes, else null.</summary>
    private async Task<ClaimsPrincipal?> ValidateAsync(string assertion, string issuer, string jwksUrl, string subject, string audience, CancellationToken ct)
    {
        if (assertion.Length > MaxAssertionLength || !Tokens.CanReadToken(assertion))
        {
            return null;
        }

        string? keyId;
        try
        {
            keyId = new JsonWebToken(assertion).Kid;
        }
        catch (ArgumentException)
        {
            return null;
        }

        var keys = await jwks.GetSigningKeysAsync(jwksUrl, keyId, ct);
        if (keys.Count == 0)
        {
            return null;
        }

        var o = options.Value.Federation;
        var result = await Tokens.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKeys = keys,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            // exp and nbf against the app's clock (TimeProvider), with the configured skew.
            LifetimeValidator = (notBefore, expires, _, _) => WithinLifetime(notBefore, expires, o.ClockSkew),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
                SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384],
            // Entra's assertions are ordinary JWTs ("JWT" or no typ); the audience check is what binds them to us.
            ValidateTokenReplay = false,
            TryAllIssuerSigningKeys = keyId is null,
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token)
        {
            return null;
        }

        if (!string.Equals(token.Subject, subject, StringComparison.Ordinal))
        {
            return null;
        }

        if (o.RejectReplayedAssertions
            && (string.IsNullOrEmpty(token.Id) || !replays.TryUse(issuer + "\n" + token.Id, token.ValidTo, time)))
        {
            return null;
        }

        return new ClaimsPrincipal(result.ClaimsIdentity);
    }

    private bool WithinLifetime(DateTime? notBefore, DateTime? expires, TimeSpan skew)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return expires is { } exp && now <= exp.ToUniversalTime() + skew
            && (notBefore is not { } nbf || nbf.ToUniversalTime() - skew <= now);
    }

    /// <summary>
    /// After OpenIddict's (skipped) assertion checks and before its client-type check: the validated assertion becomes
    /// the request's client assertion principal, which is how OpenIddict knows a confidential client authenticated
    /// without a secret.
    /// </summary>
    public sealed class AttachPrincipal : IOpenIddictServerHandler<ProcessAuthenticationContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
                .UseSingletonHandler<AttachPrincipal>()
                .SetOrder(OpenIddictServerHandlers.ValidateClientType.Descriptor.Order - 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ProcessAuthenticationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.Transaction.Properties.TryGetValue(PrincipalProperty, out var value) && value is ClaimsPrincipal principal)
            {
                context.ClientAssertionPrincipal = principal;
            }

            return default;
        }
    }
}

/// <summary>
/// The jti values of client assertions already used, until they expire (for
/// <see cref="OAuthFederationOptions.RejectReplayedAssertions"/>). Per app instance; bounded.
/// </summary>
public sealed class FederationReplayCache
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, DateTime> used = new(StringComparer.Ordinal);

    /// <summary>True the first time <paramref name="key"/> is seen before <paramref name="expires"/>; false for a replay.</summary>
    public bool TryUse(string key, DateTime expires, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (used.Count >= MaxEntries)
        {
            foreach (var (k, until) in used)
            {
                if (until <= now)
                {
                    used.TryRemove(k, out _);
                }
            }

            if (used.Count >= MaxEntries)
            {
                // Full of live ids: refusing is safer than forgetting one (an attacker cannot replay what we forgot).
                return false;
            }
        }

        // Atomic: of two requests with the same id at once, one wins.
        return used.TryAdd(key, expires)
            || (used.TryGetValue(key, out var existing) && existing <= now && used.TryUpdate(key, expires, existing));
    }
}
