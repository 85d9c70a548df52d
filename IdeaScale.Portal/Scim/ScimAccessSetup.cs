using IdeaScale.Portal.Scim.Auth;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Limits;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Workspaces;

using Microsoft.AspNetCore.Authentication;

namespace IdeaScale.Portal.Scim;

/// <summary>
/// Composition of SCIM access control (issue 4): authentication schemes, tenant gating, rate limiting, body size
/// limit, last-use tracking and the provisioning log, plus the portal-facing services that read and change them.
/// </summary>
public static class ScimAccessSetup
{
    public static WebApplicationBuilder AddScimAccess(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<ScimAccessOptions>(builder.Configuration.GetSection(ScimAccessOptions.Section));

        // "Scim" picks the scheme for the request's credentials: the workspace token here, OAuth 2.0 access tokens
        // (Scim/Credentials/OAuthServerSetup.cs registers that scheme) by SelectScheme.
        services.AddAuthentication()
            .AddPolicyScheme(ScimAuthenticationDefaults.Scheme, "SCIM", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ScimTokenHandler>(ScimAuthenticationDefaults.TokenScheme, "SCIM workspace token", null);

        services.AddScoped<ScimWorkspaceLookup>();
        services.AddSingleton<ScimAccessCache>();
        services.AddSingleton<ScimRateLimiter>();

        services.AddSingleton<ScimCredentialUsage>();
        services.AddHostedService(sp => sp.GetRequiredService<ScimCredentialUsage>());
        services.AddSingleton<ProvisioningLogWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<ProvisioningLogWriter>());

        // After the writer: hosted services stop in reverse order, so the last summaries are written before it closes.
        services.AddSingleton<UnauthenticatedRequestLog>();
        services.AddHostedService(sp => sp.GetRequiredService<UnauthenticatedRequestLog>());
        services.AddSingleton<ProvisioningLogRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<ProvisioningLogRetention>());

        services.AddSingleton<ScimAdministration>();
        services.AddSingleton<ProvisioningLog>();
        return builder;
    }

    /// <summary>
    /// The SCIM branch after status-code pages are disabled: the recorder outermost (it logs every answer,
    /// including error bodies), then the one error mapping, then authentication and gating (401/403), then the
    /// per-workspace rate limit (429) and body size limit (413).
    /// </summary>
    public static IApplicationBuilder UseScimAccess(this IApplicationBuilder scim) => scim
        .UseMiddleware<ScimRequestRecorder>()
        .UseMiddleware<ScimErrorHandling>()
        .UseMiddleware<ScimAuthentication>()
        .UseMiddleware<ScimRequestLimits>();

    /// <summary>
    /// A Bearer JWT is an OAuth 2.0 access token; everything else (Bearer workspace token, Basic slug:token, no or a
    /// malformed header) goes to the token scheme, whose challenge names both forms.
    /// </summary>
    private static string SelectScheme(HttpContext context) =>
        Credentials.OAuthServerSetup.IsAccessToken(context.Request.Headers.Authorization.ToString())
            ? ScimAuthenticationDefaults.OAuthScheme
            : ScimAuthenticationDefaults.TokenScheme;
}
