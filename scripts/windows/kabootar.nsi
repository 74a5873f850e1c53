; Kabootar's Windows installer: per user (no administrator), into the
; user's programs folder, a Start-menu entry, an uninstaller in "Apps &
; features" that keeps the reader's saved news unless asked.
;   makensis -DVERSION=0.3.0 -DEXE=dist/windows/kabootar.exe -DOUT=dist/kabootar-0.3.0-windows-amd64-setup.exe scripts/windows/kabootar.nsi
; A 64-bit installer for a 64-bit program (and Wine without 32-bit support runs it).
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!include "MUI2.nsh"
!include "FileFunc.nsh"

!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Kabootar"

Name "Kabootar"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\Kabootar"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\kabootar.exe"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Farsi"

LangString DeleteData ${LANG_ENGLISH} "Also delete your saved news and settings (in $LOCALAPPDATA\kabootar)?"
LangString DeleteData ${LANG_FARSI} "خبرهای ذخیره‌شده و تنظیمات شما (در $LOCALAPPDATA\kabootar) هم پاک شوند؟"
LangString Comment ${LANG_ENGLISH} "A news reader that gets through"
LangString Comment ${LANG_FARSI} "کبوتر، خبرخوانی که از فیلتر می‌گذرد"

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "Kabootar"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "Kabootar installer"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "The Kabootar authors"

Function .onInit
  ; The installer speaks the reader's language: Persian on a Persian Windows.
  System::Call 'kernel32::GetUserDefaultUILanguage() i .r0'
  IntOp $0 $0 & 0x3FF
  ${If} $0 == 0x29
    StrCpy $LANGUAGE ${LANG_FARSI}
  ${EndIf}
FunctionEnd

Section "Kabootar"
  SetOutPath "$INSTDIR"
  File "/oname=kabootar.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\Kabootar.lnk" "$INSTDIR\kabootar.exe" "" "$INSTDIR\kabootar.exe" 0 SW_SHOWNORMAL "" "$(Comment)"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "Kabootar (کبوتر)"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\kabootar.exe"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "Kabootar"
  WriteRegStr HKCU "${UNINST_KEY}" "Comments" "$(Comment)"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" $0
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\kabootar.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Kabootar.lnk"
  DeleteRegKey HKCU "${UNINST_KEY}"
  ; The saved news is the reader's: kept, unless /DELETEDATA is given or
  ; the reader says yes (a silent uninstall never asks).
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/DELETEDATA" $R1
  ${IfNot} ${Errors}
    RMDir /r "$LOCALAPPDATA\kabootar"
  ${ElseIfNot} ${Silent}
    MessageBox MB_YESNO|MB_DEFBUTTON2|MB_ICONQUESTION "$(DeleteData)" IDNO keep
    RMDir /r "$LOCALAPPDATA\kabootar"
    keep:
  ${EndIf}
SectionEnd
