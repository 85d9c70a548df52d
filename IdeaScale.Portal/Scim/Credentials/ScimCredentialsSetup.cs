using IdeaScale.Portal.Scim.Credentials.OAuth;
using IdeaScale.Portal.Scim.Credentials.Tokens;

using Microsoft.AspNetCore.Authentication;

namespace IdeaScale.Portal.Scim.Credentials;

/// <summary>
/// Composition of SCIM credentials, the ways an IdP authenticates: the <see cref="ScimAuthenticationDefaults.Scheme"/>
/// policy scheme that picks the scheme for the request's Authorization header, the workspace token scheme
/// (<see cref="ScimTokenHandler"/>), the cache of access facts both schemes read (<see cref="ScimAccessCache"/>) and
/// last-use tracking (<see cref="ScimCredentialUsage"/>). The OAuth 2.0 server and its scheme are composed by
/// <see cref="OAuthServerSetup.AddScimOAuth"/>.
/// </summary>
public static class ScimCredentialsSetup
{
    public static WebApplicationBuilder AddScimCredentials(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        // "Scim" picks the scheme for the request's credentials: the workspace token here, OAuth 2.0 access tokens
        // (OAuth/OAuthServerSetup.cs registers that scheme) by SelectScheme.
        services.AddAuthentication()
            .AddPolicyScheme(ScimAuthenticationDefaults.Scheme, "SCIM", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ScimTokenHandler>(ScimAuthenticationDefaults.TokenScheme, "SCIM workspace token", null);

        services.AddScoped<ScimCredentials>();
        services.AddSingleton<ScimAccessCache>();
        services.AddSingleton<ScimCredentialUsage>();
        services.AddHostedService(sp => sp.GetRequiredService<ScimCredentialUsage>());
        return builder;
    }

    /// <summary>
    /// A Bearer JWT is an OAuth 2.0 access token; everything else (Bearer workspace token, Basic slug:token, no or a
    /// malformed header) goes to the token scheme, whose challenge names both forms.
    /// </summary>
    private static string SelectScheme(HttpContext context) =>
        OAuthServerSetup.IsAccessToken(context.Request.Headers.Authorization.ToString())
            ? ScimAuthenticationDefaults.OAuthScheme
            : ScimAuthenticationDefaults.TokenScheme;
}
