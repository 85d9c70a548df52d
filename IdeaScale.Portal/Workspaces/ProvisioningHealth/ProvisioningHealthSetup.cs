namespace IdeaScale.Portal.Workspaces.ProvisioningHealth;

/// <summary>Registers the SCIM connection status (<see cref="WorkspaceHealthQuery"/>) with its thresholds (section "Scim:Health").</summary>
public static class ProvisioningHealthSetup
{
    public static WebApplicationBuilder AddProvisioningHealth(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<ProvisioningHealthOptions>(builder.Configuration.GetSection(ProvisioningHealthOptions.Section));
        builder.Services.AddSingleton<WorkspaceHealthQuery>();
        return builder;
    }
}
