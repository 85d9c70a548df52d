using IdeaScale.Portal.Scim.Credentials.AuthorizationCode;

using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;

using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Composition of the OAuth 2.0 authorization server for SCIM clients (issue 12), built on OpenIddict: EF Core stores in
/// <see cref="PortalDbContext"/>, the token endpoint at <see cref="TokenPath"/>, RFC 8414 metadata at
/// /.well-known/oauth-authorization-server (and /.well-known/openid-configuration), and the validation side used by
/// <see cref="ScimOAuthHandler"/> (local server integration: no HTTP call, no per-request database lookup). Two grants:
/// client credentials for a workspace's own client (Entra), and the authorization code grant with PKCE (S256) and
/// rolling refresh tokens for the platform-level clients of OAuth:Clients (Okta), whose consent page is
/// <see cref="AuthorizePath"/> (AuthorizationCode/).
/// </summary>
public static class OAuthServerSetup
{
    public const string TokenPath = "/oauth/token";
    public const string JwksPath = "/oauth/jwks";
    public const string AuthorizePath = "/oauth/authorize";

    /// <summary>Where the consent form posts (a second authorization endpoint URI: OpenIddict validates the posted request again).</summary>
    public const string ConsentPath = "/oauth/authorize/consent";
    public const string InvalidClientDescription = "The client credentials are invalid.";
    private const string CodeVerifierProperty = ".ideascale_code_verifier";
    private const string AntiforgeryField = "__RequestVerificationToken";

    public static WebApplicationBuilder AddScimOAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<OAuthOptions>(builder.Configuration.GetSection(OAuthOptions.Section));
        var oauth = builder.Configuration.GetSection(OAuthOptions.Section).Get<OAuthOptions>() ?? new OAuthOptions();

        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<PortalDbContext>();
                // The application manager reads a workspace client's secrets from ScimOAuthSecrets (two active ones).
                core.ReplaceApplicationManager<OpenIddictEntityFrameworkCoreApplication, ScimOAuthApplicationManager>();
            })
            .AddServer(server =>
            {
                server.SetTokenEndpointUris(TokenPath.TrimStart('/'))
                    .SetAuthorizationEndpointUris(AuthorizePath.TrimStart('/'), ConsentPath.TrimStart('/'))
                    .SetJsonWebKeySetEndpointUris(JwksPath.TrimStart('/'))
                    .SetConfigurationEndpointUris(".well-known/openid-configuration", ".well-known/oauth-authorization-server");
                server.AllowClientCredentialsFlow()
                    .AllowAuthorizationCodeFlow()
                    .AllowRefreshTokenFlow()
                    .RequireProofKeyForCodeExchange();
                // PKCE with S256 only: "plain" would put the verifier itself in the authorization request's URL.
                server.Configure(options =>
                {
                    options.CodeChallengeMethods.Clear();
                    options.CodeChallengeMethods.Add(CodeChallengeMethods.Sha256);
                });
                server.RegisterScopes(OAuthTokenEndpoint.ScimScope, Scopes.OfflineAccess);
                server.SetAccessTokenLifetime(oauth.EffectiveAccessTokenLifetime);
                // Rolling refresh tokens with sliding expiration (OpenIddict's defaults): each refresh returns a new
                // refresh token that lives the idle lifetime again, and the used one stops after the reuse leeway.
                server.SetRefreshTokenLifetime(oauth.EffectiveRefreshTokenLifetime)
                    .SetRefreshTokenReuseLeeway(oauth.RefreshTokenReuseLeeway);

                // Access tokens are signed, not encrypted: validating one on every SCIM request is then one RSA
                // signature check (public-key operation), not an RSA decryption. They carry only ids.
                server.DisableAccessTokenEncryption();

                if (!string.IsNullOrWhiteSpace(oauth.Issuer))
                {
                    server.SetIssuer(new Uri(oauth.Issuer, UriKind.Absolute));
                }

                // One answer to every failed client authentication: OpenIddict's own descriptions tell an unknown
                // client_id from a wrong secret.
                server.AddEventHandler<OpenIddictServerEvents.ApplyTokenResponseContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        if (context.Error is OpenIddict.Abstractions.OpenIddictConstants.Errors.InvalidClient)
                        {
                            context.Response.ErrorDescription = InvalidClientDescription;
                            context.Response.ErrorUri = null;
                        }

                        return default;
                    })
                    .SetOrder(int.MinValue + 100_000));

                // Workload identity federation: Entra's client assertions, checked against the workspace's settings.
                server.AddEventHandler(FederatedClientAssertion.Descriptor);
                server.AddEventHandler(FederatedClientAssertion.AttachPrincipal.Descriptor);

                // OpenIddict logs every extracted request with its secrets redacted, but not the PKCE code verifier nor
                // the consent form's antiforgery token: they stay out of the request while it is logged (the verifier
                // is put back before OpenIddict validates it).
                server.AddEventHandler<OpenIddictServerEvents.ExtractTokenRequestContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        if (context.Request?.CodeVerifier is { } verifier)
                        {
                            context.Transaction.Properties[CodeVerifierProperty] = verifier;
                            context.Request.CodeVerifier = null;
                        }

                        return default;
                    })
                    .SetOrder(int.MaxValue));
                server.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        if (context.Transaction.Properties.Remove(CodeVerifierProperty, out var verifier) && verifier is string value)
                        {
                            context.Request.CodeVerifier = value;
                        }

                        return default;
                    })
                    .SetOrder(int.MinValue));
                server.AddEventHandler<OpenIddictServerEvents.ExtractAuthorizationRequestContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        context.Request?.RemoveParameter(AntiforgeryField);
                        return default;
                    })
                    .SetOrder(int.MaxValue));

                var aspNetCore = server.UseAspNetCore().EnableTokenEndpointPassthrough().EnableAuthorizationEndpointPassthrough();
                if (!oauth.RequireHttps)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.AddAudiences(OAuthTokenEndpoint.ScimAudience);
                validation.UseAspNetCore()
                    .DisableAccessTokenExtractionFromQueryString()
                    .DisableAccessTokenExtractionFromBodyForm();
            });

        services.AddScoped(sp => (ScimOAuthApplicationManager)sp.GetRequiredService<OpenIddict.Core.OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>>());
        services.AddScoped<OAuthClientAuthentication>();
        services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, OAuthServerKeys>();
        services.AddSingleton<OAuthTokenRateLimit>();
        services.AddScoped<OAuthClientIssuer>();
        services.AddSingleton<OAuthClientAdministration>();
        services.AddSingleton<FederationJwks>();
        services.AddSingleton<OAuthPruning>();
        services.AddHostedService(sp => sp.GetRequiredService<OAuthPruning>());
        services.AddSingleton<FederationReplayCache>();
        // The JWKS URL is an admin's input: no redirects (to another host or anywhere), no cookies, no proxy credentials.
        services.AddHttpClient(FederationJwks.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                ConnectTimeout = oauth.Federation.JwksTimeout,
            });
        services.AddSingleton<OAuthGrants>();
        services.AddSingleton<OAuthPlatformClients>();
        services.AddHostedService(sp => sp.GetRequiredService<OAuthPlatformClients>());

        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ScimOAuthHandler>(ScimAuthenticationDefaults.OAuthScheme, "SCIM OAuth 2.0 access token", null);
        return builder;
    }

    /// <summary>The token endpoint's rate limit, before OpenIddict (which runs in UseAuthentication) sees the request.</summary>
    public static WebApplication UseScimOAuth(this WebApplication app)
    {
        var limit = app.Services.GetRequiredService<OAuthTokenRateLimit>();
        app.UseWhen(
            c => HttpMethods.IsPost(c.Request.Method) && c.Request.Path.Equals(TokenPath, StringComparison.OrdinalIgnoreCase),
            branch => branch.Use(next => context => limit.InvokeAsync(context, next)));
        return app;
    }

    public static WebApplication MapScimOAuth(this WebApplication app)
    {
        app.MapPost(TokenPath, OAuthTokenEndpoint.ExchangeAsync).DisableAntiforgery().ExcludeFromDescription();
        // The consent form's answer; the form itself is the page at AuthorizePath (Components/Pages/OAuth/Authorize.razor).
        app.MapPost(ConsentPath, OAuthConsentEndpoint.DecideAsync).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    /// <summary>Selects the SCIM scheme for an access token: a JWT (three dot-separated parts), never a workspace token.</summary>
    public static bool IsAccessToken(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
        && authorization.AsSpan(7).Trim() is var token
        && !token.StartsWith(Tokens.ScimCredentials.Prefix, StringComparison.Ordinal)
        && token.Count('.') == 2;
}
