using IdeaScale.Portal.Components;
using IdeaScale.Portal.Components.Pages.ManageWorkspace;
using IdeaScale.Portal.Health;
using IdeaScale.Portal.Observability;
using IdeaScale.Portal.Scim;
using IdeaScale.Portal.Scim.Credentials.OAuth;
using IdeaScale.Portal.Security;
using IdeaScale.Portal.Workspaces;
using IdeaScale.Portal.Workspaces.ProvisioningHealth;

using MudBlazor.Services;

// Composition only: each feature registers and maps itself.
var builder = WebApplication.CreateBuilder(args);

builder.AddPortalData();
builder.AddPortalIdentity();
builder.AddReverseProxySupport();
builder.AddRecentSignIn();
builder.AddPortalHealth();
builder.AddPortalObservability();
builder.AddScim();
builder.AddScimOAuth();
builder.AddProvisioningHealth();
builder.Services.AddScoped<WorkspaceAccess>();
builder.Services.AddSingleton<SsoSettings>();
builder.Services.AddSingleton<MemberDirectory>();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

var app = builder.Build();

await app.InitializeDatabaseAsync();

app.UseReverseProxySupport();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    app.UseHsts();
}

app.UseSecurityHeaders();
app.UseScim();
app.UseScimOAuth();
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
// Explicit, after the SCIM branch: WebApplication would otherwise run cookie authentication and authorization
// before every middleware, SCIM requests included.
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapPortalHealth();
app.MapScim();
app.MapScimOAuth();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapAdditionalIdentityEndpoints();
app.MapProvisioningLogExport();

await app.RunAsync();

/// <summary>Entry point; public so integration tests can host it with WebApplicationFactory.</summary>
public partial class Program;
