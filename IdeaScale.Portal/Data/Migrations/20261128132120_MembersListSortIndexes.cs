using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdeaScale.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class MembersListSortIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Members_WorkspaceId_Active_NormalizedUserName",
                table: "Members",
                columns: new[] { "WorkspaceId", "Active", "NormalizedUserName" });

            migrationBuilder.CreateIndex(
                name: "IX_Members_WorkspaceId_DisplayName_Id",
                table: "Members",
                columns: new[] { "WorkspaceId", "DisplayName", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Members_WorkspaceId_Active_NormalizedUserName",
                table: "Members");

            migrationBuilder.DropIndex(
                name: "IX_Members_WorkspaceId_DisplayName_Id",
                table: "Members");
        }
    }
}
