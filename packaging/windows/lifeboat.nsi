; Lifeboat's Windows installer, made by makensis (Debian's nsis) in
; scripts/package-windows.sh. Hand-written: Tauri's own NSIS bundler downloads a
; helper DLL and cannot run offline. Installs for all users into Program Files, with
; a Start menu entry and an uninstaller; the data folder (%APPDATA%\lifeboat) is
; never touched by installing, updating or uninstalling.
;
; makensis -DVERSION=X.Y.Z -DSTAGE=<folder with the files> -DOUTFILE=<setup.exe> lifeboat.nsi

Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel admin

Name "Lifeboat ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\Lifeboat"
InstallDirRegKey HKLM "Software\Lifeboat" "InstallDir"
BrandingText "Lifeboat ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "Lifeboat"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "Lifeboat installer"
VIAddVersionKey "LegalCopyright" "Lifeboat"

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Lifeboat"

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "Lifeboat"
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  File "${STAGE}\lifeboat.exe"
  File "${STAGE}\lifeboat-desktop.exe"
  File "${STAGE}\WebView2Loader.dll"
  File "${STAGE}\README.txt"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\Lifeboat.lnk" "$INSTDIR\lifeboat-desktop.exe"
  WriteRegStr HKLM "Software\Lifeboat" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "Lifeboat"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "Lifeboat"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\lifeboat-desktop.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext all
  Delete "$SMPROGRAMS\Lifeboat.lnk"
  Delete "$INSTDIR\lifeboat.exe"
  Delete "$INSTDIR\lifeboat-desktop.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\README.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  DeleteRegKey HKLM "Software\Lifeboat"
SectionEnd
