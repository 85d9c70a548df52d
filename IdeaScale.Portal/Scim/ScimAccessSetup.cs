using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Workspaces;

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

        services.AddSingleton<ScimCredentialUsage>();
        services.AddHostedService(sp => sp.GetRequiredService<ScimCredentialUsage>());

        services.AddScoped<ScimAdministration>();
        services.AddScoped<ProvisioningLog>();
        return builder;
    }
}
