using IdeaScale.Portal.Workspaces.ConnectionTest;

namespace IdeaScale.Portal.Workspaces.ProvisioningHealth;

/// <summary>
/// Registers the SCIM connection insight of the SCIM page: the connection status (<see cref="WorkspaceHealthQuery"/>,
/// thresholds in section "Scim:Health") and the built-in connection test (<see cref="ScimConnectionTest"/>).
/// </summary>
public static class ProvisioningHealthSetup
{
    public static WebApplicationBuilder AddProvisioningHealth(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<ProvisioningHealthOptions>(builder.Configuration.GetSection(ProvisioningHealthOptions.Section));
        builder.Services.AddSingleton<WorkspaceHealthQuery>();
        builder.Services.AddSingleton<ConnectionTestMarker>();
        builder.Services.AddSingleton<ScimConnectionTest>();
        return builder;
    }
}
