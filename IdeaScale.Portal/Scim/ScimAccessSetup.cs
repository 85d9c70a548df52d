using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Limits;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Tenancy;
using IdeaScale.Portal.Workspaces;

namespace IdeaScale.Portal.Scim;

/// <summary>
/// Composition of SCIM access control (issue 4): credentials (authentication schemes, access cache and last-use
/// tracking, <see cref="ScimCredentialsSetup"/>), tenant gating, rate limiting, body size limit and the provisioning
/// log, plus the portal-facing services that read and change them.
/// </summary>
public static class ScimAccessSetup
{
    public static WebApplicationBuilder AddScimAccess(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<ScimAccessOptions>(builder.Configuration.GetSection(ScimAccessOptions.Section));

        builder.AddScimCredentials();
        services.AddScoped<ScimWorkspaceLookup>();
        services.AddSingleton<ScimRateLimiter>();

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
}
